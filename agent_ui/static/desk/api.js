// JSON over fetch with the session cookie; errors become Error(message) from the API body.

export class ApiError extends Error {
  constructor(status, body) {
    super((body.error && body.error.message) || `HTTP ${status}`);
    this.status = status;
    this.field = body.error && body.error.field;
  }
}

export async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// One id per form submission, reused on retry: the server writes it once (idempotent POSTs).
export function requestId() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
}
