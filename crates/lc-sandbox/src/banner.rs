//! What the `lc-sandbox` binary (only it: `main.rs` declares this module, the library
//! does not) creates at start-up and announces: a LiveChat agent and customer, and an
//! Inbenta demo app with one agent (those of a loaded state when it has them); the banner printed for people and the ready file
//! written for scripts.

use lc_sandbox::{
    AgentHandle, CustomerHandle, InbentaUser, NewAgent, NewCustomer, NewInbentaAgent,
    NewInbentaApp, Sandbox,
};
use std::path::Path;

/// The id of the Inbenta app the binary creates.
pub(crate) const INBENTA_APP_ID: &str = "demo-app";
/// Its only room.
const INBENTA_ROOM: u32 = 1;
/// The LiveChat agent's id.
const AGENT_ID: &str = "agent@sandbox.local";
/// The name of both agents, LiveChat's and Inbenta's.
const AGENT_NAME: &str = "Sandbox Agent";
/// The LiveChat customer's name (how a loaded state's one is found again).
const CUSTOMER_NAME: &str = "Sandbox Customer";

/// The ready-made users of a fresh sandbox.
pub(crate) struct Demo {
    agent: AgentHandle,
    customer: CustomerHandle,
    /// The Inbenta agent, accepting every invitation of app [`INBENTA_APP_ID`] at once.
    inbenta_agent: InbentaUser,
}

impl Demo {
    /// The LiveChat agent and customer and the Inbenta app and agent: those a loaded
    /// state already holds (with `--state`), or new ones.
    pub(crate) fn create(sandbox: &Sandbox) -> Self {
        let agent = sandbox
            .existing_agent(AGENT_ID)
            .unwrap_or_else(|| sandbox.create_agent(NewAgent::new(AGENT_ID).name(AGENT_NAME)));
        let customer = sandbox
            .existing_customer(CUSTOMER_NAME)
            .unwrap_or_else(|| sandbox.create_customer(NewCustomer::new().name(CUSTOMER_NAME)));
        if sandbox.existing_inbenta_app(INBENTA_APP_ID).is_none() {
            sandbox.create_inbenta_app(NewInbentaApp::new(INBENTA_APP_ID).rooms([INBENTA_ROOM]));
        }
        let inbenta_agent = sandbox
            .existing_inbenta_agent(INBENTA_APP_ID, AGENT_NAME)
            .unwrap_or_else(|| {
                sandbox.create_inbenta_agent(
                    INBENTA_APP_ID,
                    NewInbentaAgent::new(AGENT_NAME).rooms([INBENTA_ROOM]),
                )
            });
        Self {
            agent,
            customer,
            inbenta_agent,
        }
    }
}

/// The Inbenta REST base of `sandbox` (a trailing slash: routes are relative to it).
fn inbenta_rest(sandbox: &Sandbox) -> String {
    format!("{}/v1/", sandbox.http_url())
}

/// The Inbenta realtime URL of the demo app (the token goes in `x-hyper-token` or `&token=`).
fn inbenta_realtime(sandbox: &Sandbox) -> String {
    format!("{}/v1/ws?appId={INBENTA_APP_ID}", sandbox.ws_url())
}

/// What a person needs to connect: URLs, ids and tokens.
pub(crate) fn banner(sandbox: &Sandbox, demo: &Demo, cert: Option<&Path>) -> String {
    let (ws, http, org) = (
        sandbox.ws_url(),
        sandbox.http_url(),
        sandbox.organization_id(),
    );
    let (agent, customer, inbenta) = (&demo.agent, &demo.customer, &demo.inbenta_agent);
    let mut text = format!(
        "lc-sandbox listening on {host}\n\
         \x20 organization id  {org}\n\
         \x20 RTM base         {ws}\n\
         \x20 Web base         {http}\n\
         \x20 agent RTM        {ws}/v3.6/agent/rtm/ws\n\
         \x20 customer RTM     {ws}/v3.6/customer/rtm/ws?organization_id={org}\n\
         \x20 agent Web        {http}/v3.6/agent/action/<action>\n\
         \x20 customer Web     {http}/v3.6/customer/action/<action>?organization_id={org}\n\
         \x20 configuration    {http}/v3.6/configuration/action/<action>\n\
         \x20 agent            {agent_id}  token: Bearer {agent_token}\n\
         \x20                  Basic {account}:{pat}\n\
         \x20 customer         {customer_id}  token: Bearer {customer_token}\n\
         \x20 Inbenta app id   {INBENTA_APP_ID}  room: {INBENTA_ROOM}\n\
         \x20 Inbenta REST     {inbenta_rest}\n\
         \x20 Inbenta realtime {inbenta_realtime}\n\
         \x20 Inbenta agent    {inbenta_id}  token: {inbenta_token}\n",
        host = sandbox.host(),
        agent_id = agent.id,
        agent_token = agent.token.expose(),
        account = agent.account_id,
        pat = agent.pat.expose(),
        customer_id = customer.id,
        customer_token = customer.token.expose(),
        inbenta_rest = inbenta_rest(sandbox),
        inbenta_realtime = inbenta_realtime(sandbox),
        inbenta_id = inbenta.id,
        inbenta_token = inbenta.token.expose(),
    );
    if let Some(cert) = cert {
        text += &format!("  certificate      {}\n", cert.display());
    }
    if let (Some(url), Some(token)) = (sandbox.console_url(), sandbox.admin_token()) {
        text += &format!("  console          {url}\n");
        text += &format!("  admin API        {http}/_sandbox/  token: Bearer {token}\n");
    }
    text + "Press Ctrl-C to stop."
}

/// Writes the ready file atomically (a temporary file renamed into place), so that a
/// script polling for it never reads half of it.
pub(crate) fn write_ready_file(file: &Path, sandbox: &Sandbox, demo: &Demo) -> std::io::Result<()> {
    let (agent, customer, inbenta) = (&demo.agent, &demo.customer, &demo.inbenta_agent);
    let ready = serde_json::json!({
        "port": sandbox.local_addr().port(),
        "host": sandbox.host(),
        "ws_url": sandbox.ws_url(),
        "http_url": sandbox.http_url(),
        "organization_id": sandbox.organization_id(),
        "agent": {
            "id": agent.id,
            "token": agent.token.expose(),
            "account_id": agent.account_id,
            "pat": agent.pat.expose(),
        },
        "customer": {"id": customer.id, "token": customer.token.expose()},
        "console_url": sandbox.console_url(),
        "admin_token": sandbox.admin_token(),
        "inbenta": {
            "app_id": INBENTA_APP_ID,
            "room": INBENTA_ROOM,
            "rest_url": inbenta_rest(sandbox),
            "ws_url": inbenta_realtime(sandbox),
            "agent": {"id": inbenta.id, "token": inbenta.token.expose()},
        },
    });
    let mut temporary = file.as_os_str().to_owned();
    temporary.push(".tmp");
    std::fs::write(&temporary, format!("{ready}\n"))?;
    std::fs::rename(&temporary, file)
}
