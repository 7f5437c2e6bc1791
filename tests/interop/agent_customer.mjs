// Interop: the official JS SDK (@livechat/lc-sdk-js, API 3.4), unmodified, against
// lc-sandbox over TLS.
//
//   node agent_customer.mjs READY_FILE NODE_PREFIX
//
// READY_FILE is the sandbox's --ready-file; NODE_PREFIX the `npm install --prefix` folder
// holding the SDK. Node must trust the sandbox's certificate (NODE_EXTRA_CA_CERTS).
// Exits 0 when every step and check passed, 1 otherwise.

import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const [readyFile, prefix] = process.argv.slice(2);
if (!readyFile || !prefix) {
  console.error("usage: node agent_customer.mjs READY_FILE NODE_PREFIX");
  process.exit(2);
}
const require = createRequire(join(prefix, "package.json"));
const { Agent, Customer } = require("@livechat/lc-sdk-js");

const ready = JSON.parse(readFileSync(readyFile, "utf8"));
const apiUrl = `127.0.0.1:${ready.port}`;
const STEP_TIMEOUT_MS = 5000;

// The whole run is bounded, whatever hangs.
setTimeout(() => fail("the run took longer than 60 s"), 60_000).unref();

function fail(message) {
  console.error(`js interop: FAILED: ${message}`);
  process.exit(1);
}

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with `promise`, or rejects after STEP_TIMEOUT_MS naming `what`. */
function within(what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), STEP_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Records every push of the given names that reaches `rtm` (the SDK allows one handler per
 * push name), and waits for one that matches a predicate.
 */
class Pushes {
  constructor(rtm, names) {
    this.seen = [];
    this.waiters = [];
    for (const name of names) {
      rtm.on(name, (payload) => this.arrived({ name, payload }));
    }
  }

  arrived(push) {
    this.seen.push(push);
    const ready = this.waiters.filter((w) => w.matches(push));
    this.waiters = this.waiters.filter((w) => !w.matches(push));
    for (const waiter of ready) waiter.resolve(push.payload);
  }

  wait(name, predicate = () => true) {
    const matches = (p) => p.name === name && predicate(p.payload);
    const earlier = this.seen.find(matches);
    if (earlier) return Promise.resolve(earlier.payload);
    return within(`push ${name}`, new Promise((resolve) => this.waiters.push({ matches, resolve })));
  }
}

/**
 * Counts the `ping` actions the SDK's own heartbeat sends on `rtm`, by observing its
 * socket's `send` (the frames go out unchanged).
 */
function countPings(rtm) {
  const counter = { sent: 0 };
  const send = rtm.socket.send.bind(rtm.socket);
  rtm.socket.send = (data, ...rest) => {
    if (JSON.parse(data).action === "ping") counter.sent += 1;
    return send(data, ...rest);
  };
  return counter;
}

/** The SDK has no close method: stop its heartbeat and close its socket. */
function close(rtm) {
  clearInterval(rtm.heartbeatInterval);
  rtm.socket.close();
}

/** Whether an event is a message with this text. */
const isMessage = (text) => (e) => e && e.type === "message" && e.text === text;
/** Whether an incoming_event push carries a message with this text. */
const carriesMessage = (text) => (p) => isMessage(text)(p.event);

async function main() {
  const agent = new Agent.RTM({ apiUrl });
  await within("agent connect", agent.connect());
  const agentPings = countPings(agent);
  const agentPushes = new Pushes(agent, ["incoming_chat", "incoming_event", "chat_deactivated"]);

  const login = await within("agent login", agent.login(`Bearer ${ready.agent.token}`));
  check(login.my_profile && login.my_profile.id === ready.agent.id, "agent login returns my_profile");
  check(login.license && login.license.organization_id === ready.organization_id, "agent login returns the license");
  console.log(`agent ${login.my_profile.id} logged in`);

  const customer = new Customer.RTM(ready.organization_id, { apiUrl });
  await within("customer connect", customer.connect());
  const customerPings = countPings(customer);
  const connectedAt = Date.now(); // both heartbeats run from here on
  const customerPushes = new Pushes(customer, ["incoming_chat", "incoming_event", "chat_deactivated"]);
  const customerLogin = await within("customer login", customer.login(`Bearer ${ready.customer.token}`));
  check(customerLogin.customer && customerLogin.customer.id === ready.customer.id, "customer login returns the customer");
  check(customerLogin.has_active_thread === false, "the customer has no active thread yet");
  console.log(`customer ${customerLogin.customer.id} logged in`);

  const hello = "Hello from the JS customer";
  const started = await within(
    "start_chat",
    customer.startChat({ chat: { thread: { events: [{ type: "message", text: hello }] } } }),
  );
  check(typeof started.chat_id === "string" && typeof started.thread_id === "string", "start_chat returns ids");
  const chatId = started.chat_id;
  console.log(`customer started chat ${chatId}`);

  const incoming = await agentPushes.wait("incoming_chat", (p) => p.chat && p.chat.id === chatId);
  check(incoming.chat.thread.id === started.thread_id, "incoming_chat carries the new thread");
  check(incoming.chat.thread.events.some(isMessage(hello)), "incoming_chat carries the first message");
  check(incoming.chat.users.some((u) => u.id === ready.agent.id), "the chat was routed to the agent");
  console.log("agent received incoming_chat");

  const reply = "Hi, the JS agent here";
  const sent = await within("agent send_event", agent.sendEvent(chatId, { type: "message", text: reply }));
  check(typeof sent.event_id === "string", "send_event returns event_id");
  const atCustomer = await customerPushes.wait("incoming_event", carriesMessage(reply));
  check(atCustomer.chat_id === chatId && atCustomer.event.id === sent.event_id, "the customer got the agent's message");
  check(atCustomer.event.author_id === ready.agent.id, "the agent's message names its author");

  const question = "Where is my order?";
  const asked = await within("customer send_event", customer.sendEvent(chatId, { type: "message", text: question }));
  const atAgent = await agentPushes.wait("incoming_event", carriesMessage(question));
  check(atAgent.event.id === asked.event_id && atAgent.event.author_id === ready.customer.id, "the agent got the customer's message");
  console.log("messages exchanged both ways");

  // The `ping` action, as the heartbeat sends it (no payload), then the heartbeat itself.
  await within("ping", agent.send("ping", undefined));
  const pingsBefore = agentPings.sent;
  await sleep(Math.max(0, connectedAt + 10_700 - Date.now()));
  check(agentPings.sent > pingsBefore && customerPings.sent > 0, "the SDK's heartbeats sent pings");
  check(Object.keys(agent.requestsQueue).length === 0, "every agent heartbeat ping was answered");
  check(Object.keys(customer.requestsQueue).length === 0, "every customer heartbeat ping was answered");
  console.log(`heartbeat: ${agentPings.sent - pingsBefore + customerPings.sent} ping(s) sent and answered`);

  await within("deactivate_chat", agent.deactivateChat(chatId));
  const closed = await customerPushes.wait("chat_deactivated", (p) => p.chat_id === chatId);
  check(closed.thread_id === started.thread_id, "chat_deactivated names the thread");
  await agentPushes.wait("chat_deactivated", (p) => p.chat_id === chatId);
  console.log("agent deactivated the chat");

  // Web, with the same tokens: the chat as both sides see it now.
  const agentWeb = new Agent.Web("lc-sandbox-interop", () => ({
    accessToken: ready.agent.token,
    region: "dal",
    organizationID: ready.organization_id,
  }), { apiUrl });
  const chat = await within("agent web get_chat", agentWeb.getChat(chatId));
  check(chat.id === chatId && chat.thread.active === false, "get_chat over Web shows the inactive thread");
  const texts = chat.thread.events.filter((e) => e.type === "message").map((e) => e.text);
  check([hello, reply, question].every((t) => texts.includes(t)), "get_chat over Web has all three messages");
  const customerWeb = new Customer.Web("lc-sandbox-interop", () => ({
    accessToken: ready.customer.token,
    region: "dal",
    organizationID: ready.organization_id,
  }), { apiUrl });
  const seenByCustomer = await within("customer web get_chat", customerWeb.getChat(chatId));
  check(seenByCustomer.id === chatId, "the customer gets the chat over Web");
  console.log("Web get_chat agrees");

  close(agent);
  close(customer);
}

main().then(
  () => {
    console.log("js interop: ok");
    process.exit(0);
  },
  (error) => fail(error && error.message ? error.message : JSON.stringify(error)),
);
