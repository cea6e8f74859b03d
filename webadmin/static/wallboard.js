// The wallboard: follows the server's stream (server-sent events, which reconnect by
// themselves) and redraws the figures and tables from each board it sends. Every
// value is put in the page as text, never as markup.
const board = document.getElementById("wallboard");
const text = JSON.parse(document.getElementById("wallboard-text").textContent);
const problem = document.getElementById("board-error");
const GROUP_STATES = ["READY", "TALKING", "RINGING", "WORKING", "BREAK", "OFFLINE"];

function seconds(value) {
  return value === null || value === undefined ? "–" : text.seconds.replace("%(n)s", value);
}

function ratio(value) {
  return value === null || value === undefined ? "–" : `${Math.round(value * 1000) / 10} %`;
}

function fail(message) {
  problem.textContent = message;
  problem.hidden = !message;
}

function cells(row, values) {
  for (const value of values) {
    const cell = row.insertCell();
    cell.textContent = value;
  }
  return row;
}

function stateName(state, code) {
  const name = text.states[state] || state;
  if (state !== "BREAK") return name;
  return `${name} (${code ? (text[code] || code) : text.noCode})`;
}

function showSummary(summary) {
  for (const element of board.querySelectorAll("[data-figure]")) {
    const value = summary[element.dataset.figure];
    const unit = element.dataset.unit;
    element.textContent = unit === "seconds" ? seconds(value) : unit === "ratio" ? ratio(value)
      : (value ?? "–");
  }
  for (const element of board.querySelectorAll("[data-state-count]")) {
    element.textContent = summary.AgentsByState[element.dataset.stateCount];
  }
  const breaks = Object.entries(summary.BreakingAgentsByCode)
    .map(([code, count]) => `${code ? (text[code] || code) : text.noCode}: ${count}`);
  document.getElementById("breaks").textContent = breaks.length ? breaks.join(", ") : text.none;
}

function showGroups(groups) {
  const body = document.querySelector("#board-groups tbody");
  body.replaceChildren();
  for (const group of groups) {
    const row = cells(body.insertRow(), [group.SkillGroupName, group.WaitingCalls,
      seconds(group.LongestWaitingTime), ...GROUP_STATES.map((s) => group.AgentsByState[s]),
      group.CallsOffered, group.CallsHandled, group.CallsAbandoned, ratio(group.ServiceLevel)]);
    row.dataset.skillGroup = group.SkillGroupName;
  }
}

function showAgents(agents) {
  const body = document.querySelector("#board-agents tbody");
  body.replaceChildren();
  for (const agent of agents) {
    const call = agent.Call;
    const row = cells(body.insertRow(), [agent.Extension, agent.Name,
      stateName(agent.State, agent.BreakCode), seconds(agent.StateDuration),
      call ? call.Caller : "", call ? seconds(call.Seconds) : "",
      agent.SignedInSkillGroups.join(", ")]);
    row.dataset.agent = agent.Extension;
    row.dataset.state = agent.State;
  }
}

function showWaiting(callers) {
  const body = document.querySelector("#board-waiting tbody");
  body.replaceChildren();
  if (!callers.length) {
    const cell = body.insertRow().insertCell();
    cell.colSpan = 4;
    cell.className = "muted";
    cell.textContent = text.noCaller;
  }
  for (const caller of callers) {
    cells(body.insertRow(), [caller.SkillGroupName, caller.Position, caller.Caller,
      seconds(caller.WaitingTime)]).dataset.caller = caller.Caller;
  }
}

function show(snapshot) {
  if (snapshot.error) { fail(text[snapshot.error] || snapshot.error); return; }
  fail("");
  showSummary(snapshot.Summary);
  showGroups(snapshot.SkillGroups);
  showAgents(snapshot.Agents);
  showWaiting(snapshot.WaitingCallers);
  document.getElementById("board-day").textContent = snapshot.Day;
  document.getElementById("board-updated").textContent =
    text.updated.replace("%(time)s", new Date(snapshot.At).toLocaleTimeString());
  board.dataset.ready = "yes";
}

const events = new EventSource(board.dataset.eventsUrl);
events.onmessage = (message) => show(JSON.parse(message.data));
events.onerror = () => fail(text.unreachable);
