// KV Storage dashboard: copy buttons, confirmations, busy states, the API tester and the
// stored items' live refresh.
// Our own script only; nothing is loaded from another host.
"use strict";

function announce(message) {
  const live = document.getElementById("announcer");
  if (live) {
    live.textContent = "";
    window.setTimeout(() => { live.textContent = message; }, 50);
  }
}

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  if (!ok) throw new Error("copy refused");
}

function setupCopy() {
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const source = document.getElementById(button.dataset.copy);
    if (!source) return;
    const label = button.querySelector("span");
    const original = label.textContent;
    try {
      await copyText(source.textContent.trim());
      label.textContent = "Copied!";
      button.classList.add("is-copied");
      announce("Copied to the clipboard.");
    } catch (error) {
      label.textContent = "Select and copy";
      announce("Copying failed: select the text and copy it by hand.");
    }
    window.setTimeout(() => {
      label.textContent = original;
      button.classList.remove("is-copied");
    }, 2500);
  });
}

function setupForms() {
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    if (form.id === "tester") return;
    const button = form.querySelector("button[type=submit]");
    if (button) {
      form.setAttribute("aria-busy", "true");
      button.classList.add("is-busy");
      // Disabled after the event, so the browser still sends the form.
      window.setTimeout(() => { button.disabled = true; }, 0);
    }
  });
}

function encodeKey(key) {
  // Each segment escaped, but ':' and '@' kept readable, as they are valid in a path.
  return key.split("/").map((part) => encodeURIComponent(part).replace(/%3A/gi, ":").replace(/%40/g, "@")).join("/");
}

function shellQuote(text) {
  return /^[A-Za-z0-9_\/:.,=@%+-]+$/.test(text) ? text : "'" + text.replace(/'/g, "'\\''") + "'";
}

// A header carries ASCII only: JSON text with other characters as \u escapes (text
// that is not JSON goes as it is, for the API to refuse).
function asciiJson(text) {
  let compact = text;
  try { compact = JSON.stringify(JSON.parse(text)); } catch (error) { return text; }
  return compact.replace(/[\u007f-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

function setupTester() {
  const form = document.getElementById("tester");
  if (!form) return;
  const result = document.getElementById("tester-result");
  const loading = document.getElementById("tester-loading");
  const output = document.getElementById("tester-output");
  const status = document.getElementById("tester-status");
  const method = form.elements.method;

  function showFields() {
    form.querySelectorAll("[data-for]").forEach((field) => {
      field.hidden = !field.dataset.for.split(" ").includes(method.value);
    });
  }
  method.addEventListener("change", showFields);
  showFields();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const apiKey = form.elements.apiKey.value.trim();
    const op = method.value;
    let base = form.dataset.apiBase.replace(/\/$/, "");
    if (!/^https?:/.test(base)) base = window.location.origin + base;
    const namespace = encodeURIComponent(form.dataset.namespace);
    let url = `${base}/${namespace}`;
    const verbs = { LIST: "GET", INCREMENT: "POST", BULK: "POST" };
    const init = { method: verbs[op] || op, headers: { "x-api-key": apiKey } };
    const query = new URLSearchParams();
    if (op === "LIST") {
      const prefix = form.elements.prefix.value;
      if (prefix) query.set("prefix", prefix);
      if (form.elements.details.checked) query.set("details", "true");
    } else if (op !== "BULK") {
      const key = form.elements.itemKey.value;
      if (!key) {
        form.elements.itemKey.focus();
        announce("Enter the item's key.");
        return;
      }
      url += "/" + encodeKey(key);
    }
    const ttl = form.elements.ttl.value.trim();
    if ((op === "PUT" || op === "INCREMENT") && ttl) query.set("ttl", ttl);
    if ([...query].length) url += "?" + query.toString();
    let curl = `curl -i -X ${init.method} ${shellQuote(url)} -H ${shellQuote("x-api-key: " + apiKey)}`;
    const metadata = asciiJson(form.elements.metadata.value.trim());
    if (op === "PUT" && metadata) {
      init.headers["KV-Metadata"] = metadata;
      curl += ` -H ${shellQuote("KV-Metadata: " + metadata)}`;
    }
    const bodies = {
      PUT: ["application/json", () => form.elements.body.value],
      INCREMENT: ["application/json", () => `{"increment": ${form.elements.by.value.trim() || "1"}}`],
      PATCH: ["application/merge-patch+json", () => form.elements.patch.value],
      BULK: ["application/json", () => form.elements.bulk.value],
    };
    if (bodies[op]) {
      const [type, body] = bodies[op];
      init.body = body();
      init.headers["Content-Type"] = type;
      curl += ` -H ${shellQuote("Content-Type: " + type)} -d ${shellQuote(init.body)}`;
    }
    result.hidden = false;
    result.setAttribute("aria-busy", "true");
    loading.hidden = false;
    output.hidden = true;
    status.textContent = "Sending…";
    status.className = "badge";
    document.getElementById("tester-curl").textContent = curl;
    try {
      const response = await fetch(url, init);
      const text = await response.text();
      let body = text;
      try { body = JSON.stringify(JSON.parse(text), null, 2); } catch (error) { /* not JSON */ }
      const headers = [];
      response.headers.forEach((value, name) => headers.push(`${name}: ${value}`));
      status.textContent = `${response.status} ${response.statusText}`;
      status.className = "badge badge--" + (response.ok ? "ok" : response.status >= 500 ? "exceeded" : "warning");
      document.getElementById("tester-headers").textContent = headers.sort().join("\n");
      document.getElementById("tester-response").textContent = body || "(empty body)";
      announce(`Response ${response.status}.`);
    } catch (error) {
      status.textContent = "Network error";
      status.className = "badge badge--exceeded";
      document.getElementById("tester-headers").textContent = "";
      document.getElementById("tester-response").textContent = String(error);
    } finally {
      loading.hidden = true;
      output.hidden = false;
      result.setAttribute("aria-busy", "false");
    }
  });
}

function setupCheckout() {
  const plans = document.getElementById("plans");
  if (!plans || !plans.dataset.paddleToken) return;
  plans.addEventListener("click", (event) => {
    const button = event.target.closest("[data-price-id]");
    if (!button) return;
    if (!window.Paddle) {
      announce("The checkout could not load. Check your connection and try again.");
      return;
    }
    if (!window.kvPaddleReady) {
      if (plans.dataset.paddleEnvironment === "sandbox") window.Paddle.Environment.set("sandbox");
      window.Paddle.Initialize({ token: plans.dataset.paddleToken });
      window.kvPaddleReady = true;
    }
    window.Paddle.Checkout.open({
      items: [{ priceId: button.dataset.priceId, quantity: 1 }],
      customer: { email: plans.dataset.email },
      customData: { user_id: plans.dataset.userId },
      settings: { successUrl: plans.dataset.successUrl },
    });
  });
}

function sleep(ms) {
  return new Promise((resolve) => window.setTimeout(resolve, ms));
}

// The stored items follow their namespace: a long poll answers when something under the
// search's prefix changed, and the list is then read again and swapped in place (the
// search box keeps its text and focus). Paused while the tab is hidden; stops when the
// session ends or the namespace is gone.
function setupLiveItems() {
  const live = document.querySelector("[data-live-items]");
  if (!live || !window.fetch || !window.DOMParser) return;
  let since = live.dataset.since;
  let pause = 1000;

  async function showAgain() {
    const response = await fetch(window.location.href, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "text/html" },
    });
    if (!response.ok) return false;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    const section = fresh.querySelector("[data-live-items]");
    const list = section && section.querySelector("[data-live-list]");
    if (!list) return false;
    live.querySelector("[data-live-list]").replaceWith(document.importNode(list, true));
    since = section.dataset.since;
    live.dataset.since = since;
    announce("The stored items changed; the list is up to date.");
    return true;
  }

  async function follow() {
    for (;;) {
      if (document.hidden) {
        await new Promise((resolve) =>
          document.addEventListener("visibilitychange", resolve, { once: true }),
        );
        continue;
      }
      let answer;
      try {
        const url = new URL(live.dataset.changesUrl, window.location.href);
        url.searchParams.set("since", since);
        const response = await fetch(url, {
          credentials: "same-origin",
          cache: "no-store",
          headers: { Accept: "application/json" },
        });
        if ([400, 401, 403, 404].includes(response.status)) return;
        if (!response.ok) throw new Error(`status ${response.status}`);
        answer = await response.json();
        pause = 1000;
      } catch (error) {
        await sleep(pause);
        pause = Math.min(pause * 2, 30000);
        continue;
      }
      if (!(answer.changed && (await showAgain().catch(() => false)))) {
        since = String(answer.since);
      }
    }
  }

  follow();
}

document.addEventListener("DOMContentLoaded", () => {
  setupCopy();
  setupForms();
  setupTester();
  setupCheckout();
  setupLiveItems();
});
