// The reports page is rendered by the server; this only logs in and shows who is here.
import { ensureSession, showIdentity } from "./common.js";

async function main() {
  const loggedIn = document.getElementById("reports").dataset.loggedIn === "yes";
  const agent = await ensureSession();
  if (!loggedIn) {
    location.reload();
    return;
  }
  showIdentity(agent);
}

main();
