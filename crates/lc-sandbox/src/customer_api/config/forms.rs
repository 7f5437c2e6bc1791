//! `get_form` and the forms the sandbox shows ([`default_form`]).

use super::groups::group;
use crate::handler::Ctx;
use crate::state::State;
use lc_protocol::customer::{self, GetFormType};
use lc_protocol::error::ApiError;
use lc_protocol::id::GroupId;
use lc_protocol::types::{Form, FormField, FormFieldOption, FormFieldType};

/// `get_form`: whether the form of `type` is enabled for group `group_id`
/// (`group_not_found` if unknown) and, when it is, the form. Forms are disabled until
/// `Sandbox::set_form_enabled` enables them.
pub(super) fn get_form(
    ctx: &mut Ctx<'_>,
    request: customer::GetForm,
) -> Result<customer::GetFormResponse, ApiError> {
    group(ctx.state, request.group_id)?;
    let form = enabled_form(ctx.state, request.group_id, &request.kind);
    Ok(customer::GetFormResponse {
        enabled: form.is_some(),
        form,
        ..Default::default()
    })
}

/// The form of `kind` of `group`, when enabled.
pub(super) fn enabled_form(state: &State, group: GroupId, kind: &GetFormType) -> Option<Form> {
    state
        .enabled_forms
        .contains(&(group, kind.as_str().to_owned()))
        .then(|| default_form(kind))
        .flatten()
}

/// The form the sandbox shows for `kind` ([I] the real forms are configured per group):
///
/// - `prechat`: a header, `name` (optional) and `email` (required);
/// - `postchat`: a header and a required `radio` question rating the chat (good / bad);
/// - `ticket`: a header, `name` (optional), `email` (required), `subject` (optional) and
///   a required `textarea` message.
///
/// `None` for a kind the sandbox does not know.
pub(crate) fn default_form(kind: &GetFormType) -> Option<Form> {
    let fields = match kind {
        GetFormType::Prechat => vec![
            field(
                FormFieldType::Header,
                "Welcome! Please introduce yourself:",
                None,
            ),
            field(FormFieldType::Name, "Name:", Some(false)),
            field(FormFieldType::Email, "E-mail:", Some(true)),
        ],
        GetFormType::Postchat => vec![
            field(
                FormFieldType::Header,
                "Thank you for chatting with us!",
                None,
            ),
            FormField {
                options: Some(vec![option("good", "Good"), option("bad", "Bad")]),
                ..field(
                    FormFieldType::Radio,
                    "How would you rate the chat?",
                    Some(true),
                )
            },
        ],
        GetFormType::Ticket => vec![
            field(
                FormFieldType::Header,
                "Our agents are not available right now. Leave a message:",
                None,
            ),
            field(FormFieldType::Name, "Name:", Some(false)),
            field(FormFieldType::Email, "E-mail:", Some(true)),
            field(FormFieldType::Subject, "Subject:", Some(false)),
            field(FormFieldType::Textarea, "Message:", Some(true)),
        ],
        _ => return None,
    };
    let fields = fields
        .into_iter()
        .enumerate()
        .map(|(index, f)| FormField {
            id: Some(index.to_string()),
            ..f
        })
        .collect();
    Some(Form {
        id: Some(kind.as_str().to_owned()),
        fields,
        ..Default::default()
    })
}

/// A form field.
fn field(kind: FormFieldType, label: &str, required: Option<bool>) -> FormField {
    FormField {
        kind,
        id: None,
        label: Some(label.to_owned()),
        required,
        options: None,
        extra: Default::default(),
    }
}

/// A choice of a form field.
fn option(id: &str, label: &str) -> FormFieldOption {
    FormFieldOption {
        id: id.to_owned(),
        label: label.to_owned(),
        ..Default::default()
    }
}
