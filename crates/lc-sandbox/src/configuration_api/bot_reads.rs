//! `list_bots` and `get_bot` (§2.3, Q12): 3.6 spells the avatar `avatar_path` and adds
//! `type`; 3.5 and older spell it `avatar` and have no `type`. `list_bots` items hold
//! `id`, `name` and the avatar plus the requested `fields`; `get_bot` returns the whole
//! bot whatever `fields` says.

use super::access::{check_bot_owner, requested_fields};
use super::bots::{existing, memberships};
use crate::bots::BotRec;
use crate::handler::{Ctx, Reply, err, run};
use crate::state::{AuthKind, State};
use lc_protocol::ApiVersion;
use lc_protocol::configuration::{Bot, BotField, GetBot, ListBots};
use lc_protocol::error::{ApiError, ErrorType};
use lc_protocol::id::AgentId;
use serde_json::value::RawValue;

/// Handles the bot reads; `None` for other actions.
pub(super) fn handle(ctx: &mut Ctx<'_>, action: &str, payload: &RawValue) -> Option<Reply> {
    Some(match action {
        "list_bots" => run(ctx, payload, list_bots),
        "get_bot" => run(ctx, payload, get_bot),
        _ => return None,
    })
}

/// `list_bots`: every bot with `all: true`; by default the requester's bots — those of
/// its token's application, or, for a requester without one (personal access tokens,
/// the sandbox's own tokens), the bots created by such requesters. A bot token may not
/// ask for `all` (`agents-bot--all` is not one of its scopes).
fn list_bots(ctx: &mut Ctx<'_>, request: ListBots) -> Result<Vec<Bot>, ApiError> {
    let all = request.all.unwrap_or(false);
    if all && ctx.auth == AuthKind::Bot {
        return Err(err(
            ErrorType::Authorization,
            "A bot token may list only its application's bots",
        ));
    }
    let fields = requested_fields(request.fields, BotField::is_unknown)?;
    let mine = |bot: &BotRec| match &ctx.client_id {
        Some(client) => &bot.owner_client_id == client,
        None => bot.creator_client_id.is_none(),
    };
    Ok(ctx
        .state
        .bots
        .iter()
        .filter(|(_, bot)| all || mine(bot))
        .map(|(id, bot)| listed(ctx.state, ctx.version, id, bot, &fields))
        .collect())
}

/// `get_bot`: the whole bot; `not_found` for an unknown one.
fn get_bot(ctx: &mut Ctx<'_>, request: GetBot) -> Result<Bot, ApiError> {
    existing(ctx.state, &request.id)?;
    check_bot_owner(ctx, &request.id)?;
    let bot = &ctx.state.bots[&request.id];
    let every = [
        BotField::Groups,
        BotField::WorkScheduler,
        BotField::JobTitle,
        BotField::MaxChatsCount,
    ];
    let mut view = listed(ctx.state, ctx.version, &request.id, bot, &every);
    view.default_group_priority = Some(bot.default_group_priority.clone());
    view.owner_client_id = Some(bot.owner_client_id.clone());
    if ctx.version >= ApiVersion::V3_6 {
        view.kind = Some(bot.kind.clone());
    }
    Ok(view)
}

/// `id`, `name`, the avatar (spelled per version) and `fields`.
fn listed(
    state: &State,
    version: ApiVersion,
    id: &AgentId,
    bot: &BotRec,
    fields: &[BotField],
) -> Bot {
    let name = state.agents.get(id).and_then(|a| a.profile.name.clone());
    let mut view = Bot {
        id: id.clone(),
        name,
        ..Bot::default()
    };
    if version >= ApiVersion::V3_6 {
        view.avatar_path = bot.avatar.clone();
    } else {
        view.avatar = bot.avatar.clone();
    }
    for field in fields {
        match field {
            BotField::Groups => view.groups = Some(memberships(&bot.groups)),
            BotField::WorkScheduler => view.work_scheduler = bot.work_scheduler.clone(),
            BotField::JobTitle => view.job_title = bot.job_title.clone(),
            BotField::MaxChatsCount => view.max_chats_count = Some(bot.max_chats_count),
            BotField::Timezone => {
                view.timezone = bot.work_scheduler.as_ref().and_then(|s| s.timezone.clone());
            }
            _ => {}
        }
    }
    view
}
