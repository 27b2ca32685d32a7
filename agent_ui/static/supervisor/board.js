// The supervisor board: loads /api/supervisor/board once, then stays live over /ws:
// `board` floor messages redraw calls, agents and queues; `alert`s and ticket changes
// reload the late tickets and complaints; `customer_calling` shows who is calling now.
import { api, el, duration, ensureSession, showIdentity } from "./common.js";
import { MissedCalls } from "../desk/missed.js";

const STEPS = { received: "Received", contained: "Contained", cause_found: "Cause found", action_verified: "Action verified" };
let agents = [];
let queues = [];
let lastSeq = 0;
let socket = null;

function setLink(text) {
  document.getElementById("link").textContent = text;
}

function fill(tableId, rows) {
  const body = document.querySelector(`#${tableId} tbody`);
  body.replaceChildren(...rows);
}

function renderFloor(floor) {
  agents = floor.agents;
  queues = floor.queues;
  renderQueues();
  fill("agents", floor.agents.map((a) => el("tr", { "data-agent-id": a.id },
    el("td", { text: a.name }),
    el("td", {}, el("span", { class: `state state-${a.state}`, text: a.state.replace("_", "-") })),
    // Away or in wrap-up: why (the desk's or the phone's reason) and for how long.
    el("td", { class: "reason", text: a.reason || "" }),
    a.since ? el("td", { class: "num since", "data-since": a.since, text: sinceText(a.since) }) : el("td", {}),
    el("td", { text: a.call_id ? `${a.caller || "withheld"}` : "" }))));
  fill("calls", floor.calls.map((c) => el("tr", { "data-call-id": c.call_id },
    el("td", { text: c.caller_name ? `${c.caller} ${c.caller_name}` : c.caller || "withheld" }),
    el("td", { text: c.queue || "" }),
    el("td", { text: c.state }),
    el("td", { class: "num since", "data-since": c.started_at, text: sinceText(c.started_at) }),
    el("td", { text: c.agent || c.ringing.join(", ") }))));
}

function sinceText(iso) {
  return iso ? duration((Date.now() - Date.parse(iso)) / 1000) : "—";
}

function renderQueues() {
  fill("queues", queues.map((q) => el("tr", { "data-queue": q.name },
    el("td", { text: q.name }),
    el("td", { class: "num waiting", text: q.waiting }),
    el("td", { class: "num since", "data-since": q.waiting_since || "", text: q.waiting_since ? sinceText(q.waiting_since) : "—" }),
    el("td", { class: "num", text: q.talking }),
    el("td", { class: "num abandoned", text: q.abandoned_today }))));
}

function reassignControl(ticket) {
  const select = el("select", { "aria-label": `Reassign ticket ${ticket.id}` },
    ...agents.map((a) => el("option", { value: a.id, selected: a.id === ticket.assignee_id, text: a.name })));
  const button = el("button", {
    type: "button", text: "Reassign",
    onclick: async () => {
      button.disabled = true;
      try {
        await api("PATCH", `/api/tickets/${ticket.id}`, { assignee_id: Number(select.value) });
        await loadTickets();
      } catch (error) {
        button.textContent = error.message;
      }
    },
  });
  return el("td", {}, select, " ", button);
}

function ticketRows(tickets, late) {
  return tickets.map((t) => el("tr", { "data-ticket-id": t.id, class: late ? "late-row" : "soon-row" },
    el("td", { text: t.id }),
    el("td", { text: t.customer.name + (t.customer.vip ? " ★" : "") }),
    el("td", { text: `${t.kind}: ${t.subject}` }),
    el("td", { text: t.target === "response" ? "first response" : "resolution" }),
    el("td", { class: late ? "num late" : "num soon", text: t.late_seconds === null ? "paused" : duration(t.late_seconds) }),
    el("td", { class: "num", text: t.level }),
    el("td", { text: t.assignee || "—" }),
    reassignControl(t)));
}

async function loadTickets() {
  const board = await api("GET", "/api/supervisor/board");
  renderFloor(board);
  fill("overdue", ticketRows(board.tickets.overdue, true));
  fill("due-soon", ticketRows(board.tickets.due_soon, false));
}

async function loadComplaints() {
  const { steps } = await api("GET", "/api/supervisor/complaints");
  const columns = Object.entries(STEPS).map(([step, label]) => el("div", { "data-step": step },
    el("h3", { text: `${label} (${(steps[step] || []).length})` }),
    el("ol", {}, ...(steps[step] || []).map((t) => el("li", { "data-ticket-id": t.id,
      text: `#${t.id} ${t.customer.name}: ${t.subject}${t.assignee ? ` — ${t.assignee}` : ""}` })))));
  document.getElementById("complaints").replaceChildren(...columns);
}

function showAlert(message) {
  const t = message.ticket;
  const what = message.kind === "ticket_overdue"
    ? `OVERDUE${message.level > 1 ? " (escalated)" : ""}` : "Due soon";
  const target = message.target === "response" ? "first response" : "resolution";
  const item = el("li", { class: `alert-${message.kind}`, "data-ticket-id": t.id, "data-kind": message.kind },
    el("strong", { text: `${what}: ` }), `#${t.id} ${t.subject} (${target})`);
  document.getElementById("alerts").prepend(item);
}

function showCalling(message) {
  const why = message.reasons.map((r) => (r === "overdue_ticket" ? "overdue ticket" : "open complaint")).join(", ");
  const agent = message.agent ? `ringing agent ${message.agent.name}` : "ringing";
  const text = `${message.customer.name} (${why}) calling now, ${agent}`;
  const item = el("li", { "data-call-id": message.call_id, text });
  document.getElementById("calling").prepend(item);
  setTimeout(() => item.remove(), 120000);
}

function handle(message) {
  if (message.seq) {
    lastSeq = Math.max(lastSeq, message.seq);
    socket.send(JSON.stringify({ type: "ack", seq: message.seq }));
  }
  if (message.type === "alert") {
    showAlert(message);
    loadTickets().catch(() => {});
  } else if (message.type === "board" && message.event === "floor") {
    renderFloor(message);
  } else if (message.type === "board" && message.event === "customer_calling") {
    showCalling(message);
  } else if (message.type === "board" && message.event === "tickets") {
    loadTickets().catch(() => {});
    loadComplaints().catch(() => {});
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws`);
  socket.addEventListener("open", () => {
    setLink("connected");
    if (lastSeq) socket.send(JSON.stringify({ type: "resume", last_seq: lastSeq }));
    loadTickets().catch(() => {});
  });
  socket.addEventListener("message", (event) => handle(JSON.parse(event.data)));
  socket.addEventListener("close", () => {
    setLink("reconnecting");
    setTimeout(connect, 2000);
  });
}

function tick() {
  for (const cell of document.querySelectorAll("td.since[data-since]")) {
    if (cell.dataset.since) cell.textContent = sinceText(cell.dataset.since);
  }
}

async function main() {
  const agent = await ensureSession();
  showIdentity(agent);
  if (agent.role === "agent") {
    setLink("supervisors only");
    return;
  }
  document.getElementById("board").hidden = false;
  await Promise.all([loadTickets(), loadComplaints()]);
  const missed = new MissedCalls(document.getElementById("missed"), {
    callable: agent.interfaces.length > 0,
  });
  await missed.load();
  connect();
  setInterval(tick, 1000);
  setInterval(() => loadComplaints().catch(() => {}), 30000);
}

main();
