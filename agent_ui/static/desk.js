// Agent desk: log in, hold the /ws connection, show a card per call, post outcomes.
// Everything from the server is inserted with textContent, never as HTML.
"use strict";

const $ = (selector, root = document) => root.querySelector(selector);
const DISPOSITIONS = JSON.parse($("#dispositions").textContent);
const MAX_CARDS = 20;
const SEQ_KEY = "cti.lastSeq";

const cards = new Map(); // call_id -> {element, seq}
let socket = null;
let retryDelay = 500;
let lastSeq = Number(sessionStorage.getItem(SEQ_KEY) || 0);

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = (data.error && data.error.message) || response.statusText;
    throw new Error(message);
  }
  return data;
}

function requestId() {
  return crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
}

// ---- login -------------------------------------------------------------------------------

async function start() {
  try {
    const { agent } = await api("GET", "/api/session");
    showDesk(agent);
  } catch (_error) {
    $("#login").hidden = false;
  }
}

$("#login").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("#login-error").textContent = "";
  try {
    const { agent } = await api("POST", "/api/session", {
      username: $("#username").value,
      password: $("#password").value,
    });
    $("#login").hidden = true;
    showDesk(agent);
  } catch (error) {
    $("#login-error").textContent = error.message;
  }
});

$("#logout").addEventListener("click", async () => {
  await api("DELETE", "/api/session").catch(() => {});
  sessionStorage.removeItem(SEQ_KEY);
  location.reload();
});

function showDesk(agent) {
  $("#who").textContent = `${agent.name} (${agent.role})`;
  $("#logout").hidden = false;
  $("#desk").hidden = false;
  connect();
}

// ---- websocket ---------------------------------------------------------------------------

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws`);
  $("#link").textContent = "connecting…";
  socket.addEventListener("open", () => {
    retryDelay = 500;
    $("#banner").hidden = true;
    $("#link").textContent = "connected";
    $("#link").dataset.state = "up";
    socket.send(JSON.stringify({ type: "resume", last_seq: lastSeq }));
  });
  socket.addEventListener("message", (event) => receive(JSON.parse(event.data)));
  socket.addEventListener("close", () => {
    $("#banner").hidden = false;
    $("#link").textContent = "disconnected";
    $("#link").dataset.state = "down";
    setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 10000);
  });
}

function receive(message) {
  if (typeof message.seq === "number" && message.seq > 0) {
    lastSeq = Math.max(lastSeq, message.seq);
    sessionStorage.setItem(SEQ_KEY, String(lastSeq));
    socket.send(JSON.stringify({ type: "ack", seq: message.seq }));
  }
  if (message.type === "screen_pop") showPop(message);
  else if (message.type === "call_update") updateCall(message);
}

// ---- cards -------------------------------------------------------------------------------

function showPop(pop) {
  const known = cards.get(pop.call_id);
  if (known && known.seq >= pop.seq) return; // already shown (replay after reconnect)
  const element = known ? known.element : $("#pop-template").content.firstElementChild.cloneNode(true);
  cards.set(pop.call_id, { element, seq: pop.seq });
  element.dataset.callId = pop.call_id;
  setState(element, "ringing");
  fillCaller(element, pop);
  if (pop.customer) fillCustomer(element, pop.customer);
  else fillUnknown(element, pop);
  if (!known) {
    wireForms(element, pop);
    $("#pops").prepend(element);
    trimCards();
  }
  $("#idle").hidden = true;
}

function updateCall(update) {
  const card = cards.get(update.call_id);
  if (!card || card.seq > update.seq) return; // stale: an older message replayed late
  card.seq = update.seq;
  setState(card.element, update.state);
}

const STATE_LABELS = {
  ringing: "Ringing",
  answered: "Live",
  missed: "Missed",
  ended: "Ended",
  abandoned: "Caller hung up",
  transferred_away: "Transferred",
};

function setState(element, state) {
  element.dataset.state = state;
  $(".state", element).textContent = STATE_LABELS[state] || state;
}

function fillCaller(element, pop) {
  const caller = pop.caller;
  $(".caller-number", element).textContent = caller.withheld ? "Number withheld" : caller.number;
  $(".caller-name", element).textContent = caller.name || "";
  $(".queue", element).textContent = pop.queue ? `queue ${pop.queue}` : "";
}

function fillCustomer(element, customer) {
  $(".customer", element).hidden = false;
  $(".unknown", element).hidden = true;
  $(".customer-name", element).textContent = customer.name + (customer.vip ? " ★ VIP" : "");
  $(".customer-meta", element).textContent =
    [customer.company, `grade ${customer.grade}`, customer.segment.replace(/_/g, " ")]
      .filter(Boolean).join(" · ");
  $(".customer-notes", element).textContent = customer.notes || "";
  fillList($(".flags", element), customer.flags, (flag) => flag.replace(/_/g, " "));
  fillList($(".tickets", element), customer.open_tickets, (t) =>
    `#${t.id} ${t.kind}: ${t.subject} — ${t.status}${t.overdue ? " (OVERDUE)" : ""}`);
  fillList($(".history", element), customer.recent_interactions, (i) =>
    [new Date(i.at).toLocaleString(), i.agent || "—", i.outcome, i.code || "", i.notes || ""]
      .filter(Boolean).join(" · "));
}

function fillUnknown(element, pop) {
  $(".customer", element).hidden = true;
  $(".unknown", element).hidden = false;
  const several = pop.matches && pop.matches.length > 0;
  $(".unknown-text", element).textContent = several
    ? "Several customers have this number:"
    : "Unknown caller";
  fillList($(".matches", element), pop.matches || [], (m) => `${m.name} ${m.company || ""}`);
  $(".complaint", element).hidden = true;
}

function fillList(list, items, label) {
  list.replaceChildren(...items.map((item) => {
    const li = document.createElement("li");
    li.textContent = label(item);
    return li;
  }));
}

function trimCards() {
  const all = $("#pops").children;
  while (all.length > MAX_CARDS) {
    const last = all[all.length - 1];
    cards.delete(last.dataset.callId);
    last.remove();
  }
}

// ---- outcome forms -----------------------------------------------------------------------

function wireForms(element, pop) {
  const select = $(".disposition select", element);
  select.replaceChildren(...DISPOSITIONS.map((d) => new Option(d.label, d.code)));
  const dispositionId = requestId();
  $(".disposition", element).addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    await submit(form, () => api("POST", `/api/calls/${encodeURIComponent(pop.call_id)}/disposition`, {
      code: form.code.value,
      notes: form.notes.value,
      customer_id: pop.customer ? pop.customer.id : undefined,
      request_id: dispositionId,
    }));
  });
  const complaintId = requestId();
  $(".complaint", element).addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    await submit(form, () => api("POST", "/api/tickets", {
      customer_id: pop.customer.id,
      kind: "complaint",
      subject: form.subject.value,
      call_id: pop.call_id,
      request_id: complaintId,
    }));
  });
}

async function submit(form, send) {
  const status = $(".saved", form);
  status.textContent = "saving…";
  try {
    await send();
    status.textContent = "saved";
  } catch (error) {
    status.textContent = error.message;
  }
}

start();
