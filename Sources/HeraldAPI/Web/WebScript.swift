// swift-format-ignore-file
// Shared script of the live views: the token, the REST API, the live stream. Plain JavaScript, no dependencies.

enum WebScript {
    static let js = #"""
"use strict";
const Herald = (() => {
  const storageKey = "herald.token";

  /**
   * Takes the token a link carried in its fragment (#token=…), then removes it from the address bar. A token other
   * than the open session's is taken only if the person agrees: a link someone sent must not silently swap whom this tab
   * acts for. Read once when the page loads, and again when a link changes the fragment of the open page; true when
   * the session changed.
   */
  function adoptFragmentToken() {
    const fromURL = new URLSearchParams(location.hash.slice(1)).get("token");
    if (!fromURL) return false;
    history.replaceState(null, "", location.pathname + location.search);
    const current = sessionStorage.getItem(storageKey);
    if (current === fromURL) return false;
    if (current && !confirm(switchQuestion(current, fromURL))) return false;
    sessionStorage.setItem(storageKey, fromURL);
    return true;
  }

  /** This tab's token. */
  function token() { return sessionStorage.getItem(storageKey); }

  // A link opened in this tab while a page is showing changes only the fragment: ask, and load the page again for the
  // new session.
  window.addEventListener("hashchange", () => { if (adoptFragmentToken()) location.reload(); });

  function switchQuestion(current, next) {
    const describe = value => {
      const c = claims(value);
      if (!c) return "an unreadable token";
      return c.org ? "application " + c.sub + " (organisation " + c.org + ")" : "organisation " + c.sub;
    };
    return "This link signs this tab in as " + describe(next) + ".\nIt is signed in as " + describe(current) +
      ".\n\nSwitch to the link's access?";
  }

  function signOut() { sessionStorage.removeItem(storageKey); location.reload(); }

  /** The JWT's claims (not verified here: the server verifies every request). */
  function claims(value) {
    try {
      const part = value.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(part + "===".slice((part.length + 3) % 4)));
    } catch { return null; }
  }

  // The pages sit beside the API wherever Herald is mounted (at the root, or under a host application's prefix). A full
  // URL, never a bare path: a path such as "//other.host/…" would send the token to another origin.
  const apiBase = new URL("api/v1", location.href).href;
  if (new URL(apiBase).origin !== location.origin) throw new Error("the API must be on this page's origin");

  /** Calls the public REST API with the token; throws an Error whose message is the server's words. */
  async function api(method, path, body) {
    const response = await fetch(apiBase + path, {
      method,
      headers: { "authorization": "Bearer " + token(), "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 204) return null;
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) {
      let detail = data && data.detail;
      if (Array.isArray(detail)) detail = detail.map(issue => (issue.loc || []).slice(1).join(".") + ": " + issue.msg).join("; ");
      throw new Error(detail || ("HTTP " + response.status));
    }
    return data;
  }

  /**
   * Follows /api/v1/live: calls handlers[event](data) for each event, reconnects with Last-Event-ID after a break,
   * and reports the connection state to onState("live" | "connecting" | "error", message).
   */
  function live(query, handlers, onState) {
    let lastEventID = null;
    let stopped = false;
    // A reconnect resumes a little before its Last-Event-ID, so recent events may come twice: drop repeats.
    const seen = new Set();
    async function connect() {
      onState("connecting");
      try {
        const headers = { "authorization": "Bearer " + token() };
        if (lastEventID) headers["last-event-id"] = lastEventID;
        const response = await fetch(apiBase + "/live" + (query ? "?" + query : ""), { headers });
        if (!response.ok) {
          const data = await response.json().catch(() => ({}));
          onState("error", data.detail || ("HTTP " + response.status));
          if (response.status === 401 || response.status === 403) return;
          throw new Error("retry");
        }
        onState("live");
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = "";
        let event = { data: [] };
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let newline;
          while ((newline = buffer.indexOf("\n")) >= 0) {
            const line = buffer.slice(0, newline).replace(/\r$/, "");
            buffer = buffer.slice(newline + 1);
            if (line === "") {
              const repeat = event.id && seen.has(event.id);
              if (event.id) {
                seen.add(event.id);
                if (seen.size > 5000) seen.delete(seen.values().next().value);
              }
              if (event.data.length && handlers[event.name] && !repeat) {
                if (event.id) lastEventID = event.id;
                handlers[event.name](JSON.parse(event.data.join("\n")));
              }
              event = { data: [] };
            } else if (line.startsWith("id:")) event.id = line.slice(3).trim();
            else if (line.startsWith("event:")) event.name = line.slice(6).trim();
            else if (line.startsWith("data:")) event.data.push(line.slice(5).trimStart());
          }
        }
      } catch (error) {
        if (error.message !== "retry") onState("error", "connection lost, reconnecting");
      }
      if (!stopped) setTimeout(connect, 1500);
    }
    connect();
    return () => { stopped = true; };
  }

  const html = (strings, ...values) => strings.reduce((out, part, index) => out + part + (index < values.length ? escape(values[index]) : ""), "");
  function escape(value) {
    if (value !== null && typeof value === "object" && "__html" in value) return value.__html;
    return String(value ?? "").replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }
  const raw = text => ({ __html: text });

  /** What a badge says for a response code: the code, or "no response" when none came (code 0). */
  function statusText(code) { return code ? String(code) : "no response"; }

  function statusClass(code) {
    if (code === null || code === undefined) return "";
    if (code >= 200 && code < 300) return "ok";
    if (code === 0 || code >= 500) return "bad";
    return "warn";
  }
  function time(value) { return value ? new Date(value).toLocaleTimeString() : "—"; }
  function dateTime(value) { return value ? new Date(value).toLocaleString() : "—"; }
  function ago(value) {
    if (!value) return "—";
    const seconds = Math.max(0, Math.round((Date.now() - new Date(value)) / 1000));
    if (seconds < 60) return seconds + " s ago";
    if (seconds < 3600) return Math.round(seconds / 60) + " min ago";
    if (seconds < 86400) return Math.round(seconds / 3600) + " h ago";
    return Math.round(seconds / 86400) + " d ago";
  }

  /** A small dependency-free line chart on a canvas: series = [{ values, color }]. */
  function chart(canvas, series) {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth, height = canvas.clientHeight;
    canvas.width = width * ratio; canvas.height = height * ratio;
    const g = canvas.getContext("2d");
    g.scale(ratio, ratio);
    g.clearRect(0, 0, width, height);
    const max = Math.max(1, ...series.flatMap(s => s.values));
    const top = niceCeiling(max);
    g.strokeStyle = "#e2e6ee"; g.fillStyle = "#637087"; g.font = "11px system-ui"; g.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = 8 + (height - 24) * (1 - i / 4);
      g.beginPath(); g.moveTo(36, y); g.lineTo(width, y); g.stroke();
      g.fillText(String(Math.round(top * i / 4 * 10) / 10), 0, y + 4);
    }
    for (const s of series) {
      const n = s.values.length;
      if (n < 2) continue;
      g.strokeStyle = s.color; g.lineWidth = 2; g.beginPath();
      s.values.forEach((v, i) => {
        const x = 36 + (width - 40) * (i / (n - 1));
        const y = 8 + (height - 24) * (1 - v / top);
        i ? g.lineTo(x, y) : g.moveTo(x, y);
      });
      g.stroke();
    }
  }
  function niceCeiling(value) {
    const power = Math.pow(10, Math.floor(Math.log10(value)));
    return [1, 2, 5, 10].map(f => f * power).find(c => c >= value);
  }

  /**
   * The inbound sources of a stats event as a table in `section` (hidden while there are none): each source's totals,
   * its requests per second since the previous stats event, and its last refusal.
   */
  const sourcesSeen = new Map();
  function sources(section, body, list, at) {
    section.classList.toggle("hidden", !list.length);
    body.innerHTML = list.map(s => {
      const before = sourcesSeen.get(s.id);
      const seconds = before ? (new Date(at) - new Date(before.at)) / 1000 : 0;
      const rate = seconds > 0 ? Math.max(0, (s.received - before.received) / seconds) : null;
      sourcesSeen.set(s.id, { received: s.received, at });
      const level = s.disabled ? "" : s.lastRejectedAt && Date.now() - new Date(s.lastRejectedAt) < 60000 ? "warn" : "ok";
      return html`<tr><td><span class="badge ${level}">${s.disabled ? "off" : "on"}</span></td>
        <td>${s.name}<div class="muted mono">${s.id}</div></td>
        <td>${rate === null ? "—" : rate.toFixed(1)}</td><td>${String(s.received)}</td><td>${String(s.accepted)}</td>
        <td>${String(s.duplicates)}</td><td>${String(s.rejected)}</td>
        <td title="${(s.recentRejections || []).map(r => time(r.at) + "  " + r.reason.replace(/_/g, " ") + "  " + (r.userAgent || "no user agent") + (r.contentLength == null ? "" : "  " + r.contentLength + " bytes")).join("\n")}">${s.lastRejection ? s.lastRejection.replace(/_/g, " ") + " · " + ago(s.lastRejectedAt) : "—"}</td></tr>`;
    }).join("");
  }

  adoptFragmentToken();
  return { token, signOut, claims, api, live, html, raw, statusClass, statusText, time, dateTime, ago, chart, sources };
})();
"""#
}
