// The live channel (/ws): reconnects by itself and never loses a pop.
//
// Every message carries the agent's increasing seq. The last seq seen is kept per tab
// (sessionStorage, so a reload keeps it too); after any reconnect the page sends
// {"type": "resume", "last_seq": N} and the server replays what was sent meanwhile, then
// the pops of calls still ringing or live. Each message is acknowledged.

const SEQ_KEY = "cti.lastSeq";
const FIRST_KEY = "cti.firstConnected";
const MIN_DELAY = 300;
const MAX_DELAY = 5000;
// Close codes the server sends on purpose (cti_bridge/web/hub.py).
const SESSION_ENDED = 4001; // logged out, expired or deactivated: the page shows the login
const TOO_MANY = 4008; // past a socket cap (too many tabs): wait long before trying again
const TOO_MANY_DELAY = 60000;

export class Link {
  constructor({ onMessage, onUp, onDown, onRefused, known }) {
    this.onMessage = onMessage;
    this.known = known;
    this.onUp = onUp;
    this.onDown = onDown;
    this.onRefused = onRefused;
    this.socket = null;
    this.delay = MIN_DELAY;
    this.timer = null;
    this.wholeBuffer = false;
    this.lastSeq = Number(sessionStorage.getItem(SEQ_KEY) || 0);
    // When this tab first got through. A tab that has had no message yet resumes with
    // last_seq 0, which replays nothing; so after a drop it asks for the whole buffer and
    // keeps only what was offered since then (see fromBuffer).
    this.firstConnected = Number(sessionStorage.getItem(FIRST_KEY) || 0);
    // Come back at once when the machine is back online or the agent returns to the tab.
    window.addEventListener("online", () => this.retryNow());
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) this.retryNow();
    });
  }

  get up() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  connect() {
    clearTimeout(this.timer);
    this.timer = null;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws`);
    this.socket = socket;
    let opened = false;
    socket.addEventListener("open", () => {
      opened = true;
      this.delay = MIN_DELAY;
      this.onUp();
      const again = this.firstConnected > 0;
      if (!again) {
        this.firstConnected = Date.now();
        sessionStorage.setItem(FIRST_KEY, String(this.firstConnected));
      }
      this.wholeBuffer = again && !this.lastSeq;
      const lastSeq = this.lastSeq || (this.wholeBuffer ? 1 : 0);
      socket.send(JSON.stringify({ type: "resume", last_seq: lastSeq }));
    });
    socket.addEventListener("message", (event) => this.receive(socket, event.data));
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.onDown(event.code === TOO_MANY ? "banner.tooMany" : "banner.down");
      // Refused, or the session ended: let the page check (a 401 shows the login).
      if (!opened || event.code === SESSION_ENDED) this.onRefused();
      // Such a socket was opened (which reset the back-off): no quick loop of retries.
      if (event.code === TOO_MANY) this.delay = TOO_MANY_DELAY;
      else if (event.code === SESSION_ENDED) this.delay = MAX_DELAY;
      this.schedule();
    });
  }

  schedule() {
    // Jitter spreads a whole floor's reconnects after a daemon restart.
    const wait = this.delay * (0.75 + Math.random() / 2);
    this.delay = Math.min(this.delay * 2, MAX_DELAY);
    this.timer = setTimeout(() => this.connect(), wait);
  }

  retryNow() {
    if (this.timer !== null) {
      this.delay = MIN_DELAY;
      this.connect();
    }
  }

  receive(socket, data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch (_error) {
      return;
    }
    if (typeof message.seq === "number" && message.seq > 0) {
      if (message.seq > this.lastSeq) {
        this.lastSeq = message.seq;
        sessionStorage.setItem(SEQ_KEY, String(this.lastSeq));
      }
      socket.send(JSON.stringify({ type: "ack", seq: message.seq }));
    }
    if (this.fromBefore(message)) return;
    this.onMessage(message);
  }

  // A pop from the buffer that rang before this tab was first connected is history, not a
  // call the agent missed (only asked for when the tab had no seq to resume from).
  fromBefore(message) {
    return this.wholeBuffer && message.type === "screen_pop"
      && Date.parse(message.offered_at) < this.firstConnected - 5000
      && !this.known(message.call_id);
  }

  close() {
    clearTimeout(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) socket.close();
    sessionStorage.removeItem(SEQ_KEY);
    sessionStorage.removeItem(FIRST_KEY);
  }
}
