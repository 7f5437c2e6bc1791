// lc-bench driver: the official @livechat/lc-sdk-js (Agent.RTM) sending
// list_routing_statuses over one logged-in agent connection, LCB_IN_FLIGHT at a time.
// Prints `lc-bench row requests=N cpu_us=N wall_us=N` (process.cpuUsage() over the
// measured loop: user + system of this process). Run by `lc-bench run --js-dir`, from a
// folder where `npm install @livechat/lc-sdk-js` was run.
import sdk from "@livechat/lc-sdk-js";

const host = process.env.LCB_HOST;
const token = process.env.LCB_TOKEN;
const count = Number(process.env.LCB_COUNT ?? 10000);
const inFlight = Number(process.env.LCB_IN_FLIGHT ?? 1);

const rtm = new sdk.Agent.RTM({ apiUrl: host });
await rtm.connect();
await rtm.login(`Bearer ${token}`);

const round = async () => {
  const calls = [];
  for (let i = 0; i < inFlight; i++) calls.push(rtm.listRoutingStatuses());
  const results = await Promise.all(calls);
  if (!Array.isArray(results[0]) || results[0].length === 0) {
    throw new Error(`unexpected response ${JSON.stringify(results[0])}`);
  }
};

for (let i = 0; i < Math.max(1, Math.floor(200 / inFlight)); i++) await round();
const rounds = Math.ceil(count / inFlight);
const cpu = process.cpuUsage();
const wall = process.hrtime.bigint();
for (let i = 0; i < rounds; i++) await round();
const spent = process.cpuUsage(cpu);
const elapsed = (process.hrtime.bigint() - wall) / 1000n;
console.log(
  `lc-bench row requests=${rounds * inFlight} cpu_us=${spent.user + spent.system} wall_us=${elapsed}`,
);
clearInterval(rtm.heartbeatInterval);
rtm.socket.close();
