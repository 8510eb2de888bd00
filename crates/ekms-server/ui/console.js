// The ekms web console: plain JavaScript over the server's own HTTPS routes (docs/console.md).
// The group secret and bearer token live in `session` only, a variable of this tab: never in
// localStorage, sessionStorage or a cookie, so closing or reloading the tab forgets them.
"use strict";

let session = null;
const AUDIT_PAGE = 20;
let auditPage = 0;

const $ = (id) => document.getElementById(id);

function say(text, isError) {
  const s = $("status");
  s.textContent = text;
  s.className = isError ? "error" : "";
}

function el(tag, text, attrs) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}

function headers(extra) {
  const h = Object.assign({}, extra || {});
  if (session) {
    h.KmsDatabaseSecret = session.secret;
    if (session.token) h.Authorization = "Bearer " + session.token;
  }
  return h;
}

// One call to a route of the server; throws an Error carrying the server's message.
async function call(method, path, body) {
  const init = { method, headers: headers(body ? { "Content-Type": "application/json" } : {}),
    credentials: "same-origin", cache: "no-store" };
  if (body) init.body = JSON.stringify(body);
  const r = await fetch(path, init);
  const text = await r.text();
  let v = null;
  try { v = text ? JSON.parse(text) : null; } catch (_) { v = text; }
  if (!r.ok) {
    const what = v && v.error ? v.error + (v.message ? ": " + v.message : "") : r.status + " " + r.statusText;
    throw new Error(what);
  }
  return v;
}

// KMIP 2.1 JSON helpers (docs/kmip.md): requests are {tag, type, value} trees.
const T = (tag, value) => ({ tag, type: "TextString", value });
const E = (tag, value) => ({ tag, type: "Enumeration", value });
const S = (tag, value) => ({ tag, type: "Structure", value });

async function kmip(operation, items) {
  const v = await call("POST", "/kmip/2_1", S(operation, items));
  return (v && v.value) || [];
}

function find(items, tag) {
  const i = (items || []).find((x) => x.tag === tag);
  return i ? i.value : undefined;
}

function emptyRow(body, text, columns) {
  const tr = el("tr");
  tr.append(el("td", text, { colspan: String(columns) }));
  body.append(tr);
}

function plain(v) {
  if (Array.isArray(v)) return v.map((i) => i.tag + "=" + plain(i.value)).join(", ");
  return v === undefined || v === null ? "" : String(v);
}

async function attributesOf(uid) {
  const r = await kmip("GetAttributes", [T("UniqueIdentifier", uid)]);
  return find(r, "Attributes") || [];
}

function nameOf(attrs) {
  const n = find(attrs, "Name");
  return Array.isArray(n) ? find(n, "NameValue") || "" : "";
}

// ---- pages ----

function show(page) {
  for (const s of document.querySelectorAll("main > section")) s.hidden = s.id !== "page-" + page;
}

async function route() {
  if (!session) { show("sign-in"); $("nav").hidden = true; return; }
  $("nav").hidden = false;
  const h = location.hash.replace(/^#/, "") || "keys";
  try {
    if (h.startsWith("key/")) { show("key"); await loadKey(decodeURIComponent(h.slice(4))); }
    else if (h === "audit") { show("audit"); await loadAudit(); }
    else if (h === "attestation") { show("attestation"); await loadAttestation(); }
    else { show("keys"); await loadKeys($("locate-name").value.trim()); }
  } catch (e) { say(e.message, true); }
}

async function signIn(ev) {
  ev.preventDefault();
  const secret = $("secret").value.trim();
  const token = $("token").value.trim();
  session = { secret, token };
  try {
    await call("GET", "/access/owned");
  } catch (e) {
    session = null;
    say("Sign-in refused: " + e.message, true);
    return;
  }
  $("sign-in-form").reset();
  say("Signed in.");
  if (!location.hash || location.hash === "#sign-in") location.hash = "#keys";
  else await route();
}

function signOut() {
  session = null;
  say("Signed out.");
  location.hash = "";
  route();
}

async function loadKeys(name) {
  const filters = name ? [S("Attributes", [S("Name", [T("NameValue", name), E("NameType", "UninterpretedTextString")])])] : [];
  const found = await kmip("Locate", filters);
  const uids = found.filter((i) => i.tag === "UniqueIdentifier").map((i) => i.value);
  // The rows are built first and shown at once: the table never shows half a listing.
  const rows = [];
  for (const uid of uids) {
    const a = await attributesOf(uid);
    const tr = el("tr");
    const link = el("a", nameOf(a) || "(no name)", { href: "#key/" + encodeURIComponent(uid) });
    const first = el("td"); first.append(link); tr.append(first);
    const code = el("td"); code.append(el("code", uid)); tr.append(code);
    for (const t of ["ObjectType", "State", "InitialDate", "ActivationDate"]) tr.append(el("td", plain(find(a, t))));
    rows.push(tr);
  }
  const body = $("keys-table").tBodies[0];
  body.replaceChildren(...rows);
  if (!uids.length) emptyRow(body, "No keys found.", 6);
}

async function createKey(ev) {
  ev.preventDefault();
  const name = $("create-name").value.trim();
  const alg = $("create-alg").value;
  const attrs = [E("CryptographicAlgorithm", alg),
    { tag: "CryptographicLength", type: "Integer", value: 256 },
    { tag: "CryptographicUsageMask", type: "Integer", value: 12 },
    S("Name", [T("NameValue", name), E("NameType", "UninterpretedTextString")])];
  if ($("create-active").checked) attrs.push({ tag: "ActivationDate", type: "DateTime", value: new Date().toISOString().replace(/\.\d+Z$/, "Z") });
  try {
    const r = await kmip("Create", [E("ObjectType", "SymmetricKey"), S("Attributes", attrs)]);
    const uid = find(r, "UniqueIdentifier");
    $("create-form").reset();
    say("Created key " + name + " (" + uid + ").");
    await loadKeys("");
  } catch (e) { say("Create failed: " + e.message, true); }
}

let currentKey = null;

async function loadKey(uid) {
  currentKey = uid;
  const a = await attributesOf(uid);
  $("key-title").textContent = "Key " + (nameOf(a) || uid);
  const dl = $("key-attributes");
  dl.replaceChildren(el("dt", "UniqueIdentifier"), el("dd", uid));
  for (const i of a) if (i.tag !== "Link") dl.append(el("dt", i.tag), el("dd", plain(i.value)));
  const links = $("key-links");
  links.replaceChildren();
  for (const l of a.filter((i) => i.tag === "Link")) {
    const type = find(l.value, "LinkType");
    const other = find(l.value, "LinkedObjectIdentifier");
    const li = el("li", type + ": ");
    li.append(el("a", other, { href: "#key/" + encodeURIComponent(other) }));
    links.append(li);
  }
  if (!links.children.length) links.append(el("li", "No links."));
  await loadGrants(uid);
}

async function loadGrants(uid) {
  const body = $("grants-table").tBodies[0];
  body.replaceChildren();
  let acl;
  try { acl = await call("GET", "/access/" + encodeURIComponent(uid)); } catch (e) {
    $("key-owner").textContent = "The access list is shown to the key's owner only (" + e.message + ").";
    return;
  }
  $("key-owner").textContent = "Owner: " + acl.owner;
  const byUser = new Map();
  for (const g of acl.grants || []) byUser.set(g.user, (byUser.get(g.user) || []).concat(g.right));
  for (const [user, rights] of byUser) {
    const tr = el("tr");
    tr.append(el("td", user), el("td", rights.join(" ")));
    const td = el("td");
    const b = el("button", "Revoke rights of " + user, { type: "button" });
    b.addEventListener("click", () => changeAccess("revoke", user, rights));
    td.append(b); tr.append(td); body.append(tr);
  }
  if (!byUser.size) emptyRow(body, "No rights granted.", 3);
}

async function changeAccess(kind, user, rights) {
  try {
    await call("POST", "/access/" + kind, { unique_identifier: currentKey, user_id: user, operations: rights });
    say((kind === "grant" ? "Granted " : "Revoked ") + rights.join(" ") + (kind === "grant" ? " to " : " from ") + user + ".");
    await loadGrants(currentKey);
  } catch (e) { say(kind + " failed: " + e.message, true); }
}

async function lifecycle(action) {
  if (action === "Destroy" && !window.confirm("Destroy this key? Its material is erased for good.")) return;
  const items = [T("UniqueIdentifier", currentKey)];
  if (action === "Revoke") items.push(S("RevocationReason", [E("RevocationReasonCode", "CessationOfOperation")]));
  try {
    await kmip(action, items);
    say(action + " done on " + currentKey + ".");
    await loadKey(currentKey);
  } catch (e) { say(action + " failed: " + e.message, true); }
}

async function loadAudit() {
  // GET /audit answers newest first up to `limit`: page n is rows [n*20, n*20+20) of a listing
  // one row longer than that, the extra row telling whether an older page exists.
  const rows = await call("GET", "/audit?limit=" + ((auditPage + 1) * AUDIT_PAGE + 1));
  const page = rows.slice(auditPage * AUDIT_PAGE, (auditPage + 1) * AUDIT_PAGE);
  const body = $("audit-table").tBodies[0];
  body.replaceChildren();
  for (const r of page) {
    const tr = el("tr");
    tr.append(el("td", new Date(r.time * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, "")),
      el("td", r.user), el("td", r.operation), el("td", r.object || ""), el("td", r.result));
    body.append(tr);
  }
  if (!page.length) emptyRow(body, "No rows.", 5);
  $("audit-page").textContent = "Page " + (auditPage + 1);
  $("audit-prev").disabled = auditPage === 0;
  $("audit-next").disabled = rows.length <= (auditPage + 1) * AUDIT_PAGE;
}

function pemToDer(pem) {
  const b64 = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");

async function loadAttestation() {
  const [version, certs, manifestText] = await Promise.all([
    call("GET", "/version"), call("GET", "/certificates"), fetch("/manifest", { cache: "no-store" }).then((r) => r.text())]);
  const der = pemToDer(certs.ssl_certificate.split("-----END CERTIFICATE-----")[0]);
  const fingerprint = hex(await crypto.subtle.digest("SHA-256", der));
  const debug = (manifestText.match(/^\s*sgx\.debug\s*=\s*(\w+)/m) || [])[1] || "not stated";
  const dl = $("evidence");
  dl.replaceChildren();
  for (const [k, v] of [["mr_enclave", version.measurement], ["mr_signer", version.mr_signer],
    ["debug", debug], ["mode", version.mode], ["certificate sha256", fingerprint],
    ["version", version.version + " (" + version.git_commit + ")"]]) {
    const dd = el("dd"); dd.append(el("code", v)); dl.append(el("dt", k), dd);
  }
  $("manifest").textContent = manifestText;
  $("trust-command").textContent = "ekms --server-url " + location.origin + " trust \\\n" +
    "     --attestation-url <your attestation service URL> \\\n" +
    (version.mode === "emulated" ? "     --allow-emulated \\\n" : "") +
    "     --mr-enclave " + version.measurement;
}

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", signOut);
  $("locate-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    loadKeys($("locate-name").value.trim()).catch((e) => say(e.message, true));
  });
  $("create-form").addEventListener("submit", createKey);
  $("grant-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const rights = $("grant-rights").value.trim().toLowerCase().split(/[\s,]+/).filter(Boolean);
    changeAccess("grant", $("grant-user").value.trim(), rights).then(() => $("grant-form").reset());
  });
  for (const b of document.querySelectorAll("#key-actions button")) b.addEventListener("click", () => lifecycle(b.dataset.action));
  $("audit-prev").addEventListener("click", () => { auditPage = Math.max(0, auditPage - 1); loadAudit().catch((e) => say(e.message, true)); });
  $("audit-next").addEventListener("click", () => { auditPage += 1; loadAudit().catch((e) => say(e.message, true)); });
  window.addEventListener("hashchange", route);
  route();
});
