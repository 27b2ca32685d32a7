// Shared by the supervisor board and the reports page: JSON calls, log-in, small DOM
// helper. Text is always set with textContent: nothing from callers or agents is HTML.

export async function api(method, path, body) {
  const options = { method, headers: {}, credentials: "same-origin" };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error((data.error && data.error.message) || response.statusText);
    error.status = response.status;
    throw error;
  }
  return data;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.abs(Math.round(seconds));
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60), r = s % 60;
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${String(m).padStart(2, "0")}m`;
  return `${m}:${String(r).padStart(2, "0")}`;
}

// Shows the log-in form until a supervisor session exists; resolves with the agent.
export async function ensureSession() {
  try {
    const { agent } = await api("GET", "/api/session");
    return agent;
  } catch (error) {
    if (error.status !== 401) throw error;
  }
  const form = document.getElementById("login");
  form.hidden = false;
  return new Promise((resolve) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const failure = document.getElementById("login-error");
      try {
        const { agent } = await api("POST", "/api/session", {
          username: form.username.value,
          password: form.password.value,
        });
        form.hidden = true;
        failure.hidden = true;
        resolve(agent);
      } catch (error) {
        failure.textContent = error.message;
        failure.hidden = false;
      }
    });
  });
}

export function showIdentity(agent) {
  document.getElementById("who").textContent = `${agent.name} (${agent.role})`;
  const logout = document.getElementById("logout");
  logout.hidden = false;
  logout.addEventListener("click", async () => {
    await api("DELETE", "/api/session").catch(() => {});
    location.reload();
  });
}
