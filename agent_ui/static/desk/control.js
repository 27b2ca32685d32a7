// Call control on a live card: "Hang up" (no confirmation: the agent's own leg, as the
// phone's button would) and "Transfer…" (opens the transfer dialog, transfer.js). Both are
// shown only while the call is live (cards.js); what the PBX does next arrives as
// call_update messages, like any call. Errors from the API are shown on the card as text.

import { api } from "./api.js";
import { $ } from "./dom.js";
import { t } from "./i18n.js";

// Refusals the agent can act on, in the desk's language; any other error keeps the
// server's own words.
const KNOWN = new Set([403, 404, 409, 503]);

export function controlError(error) {
  return KNOWN.has(error.status) ? t(`control.error_${error.status}`) : error.message;
}

export function showStatus(node, state, text) {
  node.dataset.state = state;
  node.textContent = text;
}

export function wireControl(card, dialog) {
  const root = card.element;
  $(".hangup", root).addEventListener("click", (event) => hangUp(card, event.currentTarget));
  $(".transfer", root).addEventListener("click", (event) => dialog.open(card, event.currentTarget));
}

async function hangUp(card, button) {
  const status = $(".control-status", card.element);
  button.disabled = true;
  showStatus(status, "busy", t("control.hanging_up"));
  try {
    await api("POST", `/api/calls/${encodeURIComponent(card.callId)}/hangup`, {});
    showStatus(status, "ok", t("control.hangup_sent"));
  } catch (error) {
    showStatus(status, "error", controlError(error));
  } finally {
    button.disabled = false;
  }
}

// The controls are for a live call only: gone once it ends or is handed over.
export function renderControl(card) {
  const box = $(".call-control", card.element);
  const live = card.state === "answered";
  if (!live && !box.hidden) showStatus($(".control-status", box), "", "");
  box.hidden = !live;
}
