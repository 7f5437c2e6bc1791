//! Finding users a loaded state already holds, with credentials that still work: what
//! the `lc-sandbox` binary reuses at each start with `--state` rather than creating its
//! ready-made users again.

use crate::accounts::{AgentHandle, CustomerHandle};
use crate::inbenta::{InbentaApp, InbentaUser};
use crate::sandbox::Sandbox;
use crate::state::{Principal, State};
use lc_protocol::id::Token;

/// The tokens of `who` that do not expire, smallest first.
fn lasting_tokens(state: &State, who: &Principal) -> Vec<String> {
    let mut tokens: Vec<String> = state
        .tokens
        .iter()
        .filter(|(token, owner)| *owner == who && !state.accounts.expiry.contains_key(*token))
        .map(|(token, _)| token.clone())
        .collect();
    tokens.sort();
    tokens
}

impl Sandbox {
    /// The agent `id` with a token that does not expire and a personal access token it
    /// already has (e.g. from a loaded state file); `None` when there is no such agent
    /// or it lacks either credential.
    pub fn existing_agent(&self, id: &str) -> Option<AgentHandle> {
        let state = self.shared.lock();
        let (agent_id, _) = state
            .agents
            .get_key_value(&lc_protocol::id::AgentId::new(id))?;
        let principal = Principal::Agent(agent_id.clone());
        let token = lasting_tokens(&state, &principal).into_iter().next()?;
        let mut pats: Vec<&(String, String)> = state
            .pats
            .iter()
            .filter(|(_, owner)| *owner == agent_id)
            .map(|(key, _)| key)
            .collect();
        pats.sort();
        let (account_id, pat) = pats.first()?;
        Some(AgentHandle {
            id: agent_id.clone(),
            token: Token::new(token),
            account_id: account_id.clone(),
            pat: Token::new(pat.clone()),
        })
    }

    /// The oldest customer named `name` that has a token that does not expire (e.g.
    /// from a loaded state file), with that token; `None` when there is none.
    pub fn existing_customer(&self, name: &str) -> Option<CustomerHandle> {
        let state = self.shared.lock();
        let mut named: Vec<_> = state
            .customers
            .values()
            .filter(|c| c.profile.name.as_deref() == Some(name))
            .map(|c| (c.profile.created_at.clone(), c.profile.id.clone()))
            .collect();
        named.sort();
        named.into_iter().find_map(|(_, id)| {
            let principal = Principal::Customer(id.clone());
            let token = lasting_tokens(&state, &principal).into_iter().next()?;
            Some(CustomerHandle {
                id,
                token: Token::new(token),
            })
        })
    }

    /// The Inbenta app `app_id` and its credentials, if it is registered.
    pub fn existing_inbenta_app(&self, app_id: &str) -> Option<InbentaApp> {
        let inbenta = self.shared.inbenta.lock();
        let app = inbenta.apps.get(app_id)?;
        Some(InbentaApp {
            app_id: app_id.to_owned(),
            secret: app.config.secret.clone(),
            domain_key: app.config.domain_key.clone(),
        })
    }

    /// The first simulated agent of app `app_id` named `name` (in creation order), with a
    /// session token it has; `None` when there is none.
    pub fn existing_inbenta_agent(&self, app_id: &str, name: &str) -> Option<InbentaUser> {
        let inbenta = self.shared.inbenta.lock();
        let app = inbenta.apps.get(app_id)?;
        app.agent_order.iter().find_map(|id| {
            let user = app.users.get(id)?;
            if user.agent.is_none() || user.profile.name.as_deref() != Some(name) {
                return None;
            }
            let mut tokens: Vec<&String> = app
                .tokens
                .iter()
                .filter(|(_, owner)| *owner == id)
                .map(|(token, _)| token)
                .collect();
            tokens.sort();
            Some(InbentaUser {
                id: id.clone(),
                token: Token::new((*tokens.first()?).clone()),
            })
        })
    }
}
