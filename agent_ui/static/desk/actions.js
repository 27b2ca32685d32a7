// What an agent does on a card: log the outcome (disposition), write a note, open a service
// request or complaint prefilled from the call, edit the customer, pick the right customer
// among several, create one for an unknown number, and click-to-dial.
// Every POST carries a request id kept on the card, so a retry never writes twice.

import { api, requestId } from "./api.js";
import { $ } from "./dom.js";
import { dispositionLabel, formatDateTime, t } from "./i18n.js";
import { renderInfo } from "./customer.js";
import { loadTimeline } from "./timeline.js";

let env = null; // {dispositions, dial(body), changed(card), saved(card, form)}

export function setActionEnv(value) {
  env = value;
}

export function wireActions(card) {
  const root = card.element;
  labelDispositions(card);
  on(root, ".disposition", (form) => saveDisposition(card, form));
  on(root, ".note-form", (form) => saveNote(card, form));
  on(root, ".ticket-form", (form) => openTicket(card, form));
  on(root, ".edit-form", (form) => saveDetails(card, form));
  on(root, ".create-form", (form) => createCustomer(card, form));
  $(".ticket-box", root).addEventListener("toggle", (event) => {
    if (event.target.open) prefillTicket(card, $(".ticket-form", root));
  });
  $(".edit-box", root).addEventListener("toggle", (event) => {
    if (event.target.open) prefillDetails(card, $(".edit-form", root));
  });
  root.addEventListener("click", (event) => clicked(card, event));
}

function on(root, selector, handler) {
  $(selector, root).addEventListener("submit", (event) => {
    event.preventDefault();
    handler(event.currentTarget);
  });
}

export function labelDispositions(card) {
  const select = $(".disposition select", card.element);
  const chosen = select.value;
  const options = env.dispositions.map((d) => {
    const label = dispositionLabel(d) + (d.requires_note ? ` ${t("form.needs_note")}` : "");
    return new Option(label, d.code);
  });
  select.replaceChildren(new Option(t("form.outcome_pick"), ""), ...options);
  select.value = chosen;
}

async function submit(card, form, key, send) {
  const status = $(".saved", form);
  status.textContent = t("form.saving");
  status.dataset.state = "busy";
  card.requests[key] = card.requests[key] || requestId();
  try {
    const result = await send(card.requests[key]);
    status.textContent = t("form.saved");
    status.dataset.state = "ok";
    return result;
  } catch (error) {
    status.textContent = error.message;
    status.dataset.state = "error";
    if (error.field && form.elements[error.field]) form.elements[error.field].focus();
    return null;
  }
}

async function saveDisposition(card, form) {
  const code = form.code.value;
  const rule = env.dispositions.find((d) => d.code === code);
  const notes = form.notes.value.trim();
  if (rule && rule.requires_note && !notes) {
    form.notes.setAttribute("aria-invalid", "true");
    $(".saved", form).textContent = t("form.note_required");
    $(".saved", form).dataset.state = "error";
    form.notes.focus();
    return;
  }
  form.notes.removeAttribute("aria-invalid");
  const path = `/api/calls/${encodeURIComponent(card.callId)}/disposition`;
  const done = await submit(card, form, "disposition", (id) => api("POST", path, {
    code, notes, customer_id: card.customer ? card.customer.id : undefined, request_id: id,
  }));
  if (done) {
    env.saved(card, "disposition");
    loadTimeline(card);
  }
}

async function saveNote(card, form) {
  const path = `/api/customers/${card.customer.id}/notes`;
  const done = await submit(card, form, "note", (id) => api("POST", path, {
    text: form.text.value, call_id: card.callId, request_id: id,
  }));
  if (done) {
    form.reset();
    delete card.requests.note; // the next note is a new one
    loadTimeline(card);
  }
}

function prefillTicket(card, form) {
  if (form.subject.value) return;
  const number = card.pop.caller.number || t("caller.withheld");
  form.subject.value = t("ticket.subject_from_call", { number, time: formatDateTime(card.pop.offered_at) });
  const key = card.pop.queue ? "ticket.description_with_queue" : "ticket.description_from_call";
  form.description.value = t(key, { call: card.callId, queue: card.pop.queue });
}

async function openTicket(card, form) {
  const done = await submit(card, form, "ticket", (id) => api("POST", "/api/tickets", {
    customer_id: card.customer.id,
    kind: form.kind.value,
    priority: form.priority.value,
    subject: form.subject.value,
    description: form.description.value,
    call_id: card.callId,
    request_id: id,
  }));
  if (done) {
    form.subject.value = "";
    delete card.requests.ticket;
    await refreshCustomer(card);
  }
}

const DETAIL_FIELDS = ["name", "company", "email", "birthday", "region", "grade", "segment", "notes"];

function prefillDetails(card, form) {
  const customer = card.customer;
  for (const field of DETAIL_FIELDS) form.elements[field].value = customer[field] || "";
  form.vip.checked = Boolean(customer.vip);
  form.phones.value = (customer.phones || []).join("; ");
}

function phoneList(text) {
  return text.split(/[;,]/).map((p) => p.trim()).filter(Boolean);
}

async function saveDetails(card, form) {
  const body = { vip: form.vip.checked, phones: phoneList(form.phones.value) };
  for (const field of DETAIL_FIELDS) body[field] = form.elements[field].value;
  body.birthday = body.birthday || null;
  delete card.requests.edit; // PATCH is idempotent by itself
  const customer = await submit(card, form, "edit", () => api("PATCH", `/api/customers/${card.customer.id}`, body));
  if (customer) setCustomer(card, customer);
}

async function createCustomer(card, form) {
  const body = { name: form.name.value, company: form.company.value, email: form.email.value, phones: phoneList(form.phones.value) };
  delete card.requests.create;
  const customer = await submit(card, form, "create", () => api("POST", "/api/customers", body));
  if (customer) setCustomer(card, customer);
}

async function pick(card, customerId) {
  const body = { number: card.pop.caller.number || card.pop.caller.raw, customer_id: customerId, call_id: card.callId };
  try {
    const { customer } = await api("POST", "/api/caller-choices", body);
    setCustomer(card, customer);
  } catch (error) {
    $(".unknown-text", card.element).textContent = error.message;
  }
}

async function changeCustomer(card) {
  const { matches } = await api("GET", `/api/customers?phone=${encodeURIComponent(card.pop.caller.number)}`);
  card.pop = { ...card.pop, matches: matches.map((m) => ({ id: m.id, name: m.name, company: m.company, grade: m.grade, vip: m.vip, phones: m.phones })) };
  card.customer = null;
  renderInfo(card);
  env.changed(card);
}

async function refreshCustomer(card) {
  try {
    setCustomer(card, await api("GET", `/api/customers/${card.customer.id}`));
  } catch (_error) {
    loadTimeline(card);
  }
}

function setCustomer(card, customer) {
  card.customer = customer;
  card.timeline = null;
  renderInfo(card);
  loadTimeline(card);
  env.changed(card);
}

function clicked(card, event) {
  const button = event.target.closest("button");
  if (!button || !card.element.contains(button)) return;
  if (button.classList.contains("pick")) pick(card, Number(button.dataset.customerId));
  else if (button.classList.contains("change-customer")) changeCustomer(card);
  else if (button.dataset.dial) env.dial({ number: button.dataset.dial });
  else if (button.dataset.dialCustomer) env.dial({ customer_id: Number(button.dataset.dialCustomer) });
}

// Another tab of the same agent saved this call's outcome: show it here too, so the agent
// does not log it twice.
export function markSaved(card, form) {
  const status = $(`.${form} .saved`, card.element);
  if (status && status.dataset.state !== "ok") {
    status.textContent = t("form.saved_elsewhere");
    status.dataset.state = "ok";
  }
}

export function focusField(card, selector) {
  const field = $(selector, card.element);
  if (!field || field.closest("[hidden]")) return false;
  field.focus();
  return true;
}
