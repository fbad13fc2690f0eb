// The review page: people judge divergent queries, blind (proxy/review/routes.py).
//
// The admin token is asked once, kept in this tab's sessionStorage and sent as
// "Authorization: Bearer" with every call; never in a URL. Every text shown comes from the
// server as data and is written with textContent: a document's text can never become markup.
// Before a query's vote is kept nothing on the page names its sides; the vote's answer says
// which side was which, and only then is it shown.
"use strict";

const KEY = "embedshift-admin-token";
const API = "/admin/review";
const CHOICES = [
  ["left", "Left better"],
  ["same", "Same"],
  ["right", "Right better"],
  ["both_bad", "Both bad"],
];

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === "class") node.className = value;
    else if (name.startsWith("data-")) node.setAttribute(name, value);
    else node[name] = value;
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

function token() {
  return sessionStorage.getItem(KEY);
}

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function call(path, options) {
  const headers = { Authorization: "Bearer " + token() };
  if (options && options.body) headers["Content-Type"] = "application/json";
  const answer = await fetch(API + path, { ...(options || {}), headers, cache: "no-store" });
  let body = null;
  try {
    body = await answer.json();
  } catch (e) {
    body = null;
  }
  if (!answer.ok) {
    throw new HttpError(answer.status, (body && body.error) || answer.statusText);
  }
  return body;
}

function showLogin(message) {
  $("main").hidden = true;
  $("forget").hidden = true;
  $("reviewer").textContent = "";
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  $("token").focus();
}

function failed(error) {
  if (error.status === 401) {
    sessionStorage.removeItem(KEY);
    showLogin("That token was refused: " + error.message);
  } else {
    $("status").textContent = "Error " + (error.status || "") + ": " + error.message;
  }
}

function percent(rate) {
  return rate === null || rate === undefined ? "–" : (100 * rate).toFixed(0) + "%";
}

function rateCell(count, rate) {
  const interval = rate.rate === null ? "" : " [" + percent(rate.low) + ", " + percent(rate.high) + "]";
  return el("td", {}, String(count) + " · " + percent(rate.rate), el("span", { class: "ci" }, interval));
}

function renderTallies(tallies, segments) {
  const body = $("tallies").querySelector("tbody");
  body.replaceChildren();
  const names = new Set([...segments, ...Object.keys(tallies.segments)]);
  for (const name of [...names].sort()) {
    const t = tallies.segments[name];
    if (!t) {
      body.append(el("tr", {}, el("td", {}, name), el("td", {}, "0"), el("td", { colSpan: 5, class: "hint" }, "no vote yet")));
      continue;
    }
    const c = t.criterion;
    body.append(
      el("tr", {},
        el("td", {}, name),
        el("td", {}, String(t.reviews)),
        rateCell(t.wins, t.rates.win),
        rateCell(t.losses, t.rates.loss),
        rateCell(t.ties, t.rates.tie),
        rateCell(t.both_bad, t.rates.both_bad),
        el("td", { class: "status-" + c.status, title: c.reason }, c.status)),
    );
  }
  $("tallies-note").textContent =
    "Preferred: votes for the candidate (re-embedded) index's list; not preferred: for the list it replaces. " +
    Math.round(100 * tallies.confidence) + "% Wilson intervals. The gate judges a segment from " +
    tallies.min_reviews + " votes on.";
  const select = $("segment");
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "" }, "all"));
  for (const name of [...names].sort()) select.append(el("option", { value: name }, name));
  select.value = chosen;
}

function resultList(results) {
  const list = el("ol", { class: "results" });
  for (const r of results) {
    list.append(
      el("li", {},
        el("span", { class: "doc-id" }, r.id),
        r.text === null || r.text === undefined ? null : el("p", { class: "doc-text" }, r.text)),
    );
  }
  if (!results.length) list.append(el("li", { class: "hint" }, "no result"));
  return list;
}

function revealText(vote) {
  const chosen = CHOICES.find(([value]) => value === vote.choice)[1];
  const newSide = vote.new_side === "left" ? "Left" : "Right";
  const oldSide = vote.new_side === "left" ? "right" : "left";
  return "Your vote: " + chosen + ". " + newSide + " was the new index, " + oldSide + " the old one.";
}

function renderItem(item) {
  const card = el("article", { class: "item", "data-item": item.item });
  const query = item.query
    ? el("p", { class: "query" }, item.query)
    : el("p", { class: "query missing" }, "Query text not kept ([review].store_text and the route's query_text).");
  card.append(
    el("div", { class: "meta" },
      el("span", { class: "segment" }, item.segment),
      el("span", {}, item.route),
      el("span", {}, "RBO " + item.rbo.toFixed(2))),
    query,
    el("div", { class: "sides" },
      el("section", { class: "side" }, el("h3", {}, "Left"), resultList(item.left)),
      el("section", { class: "side" }, el("h3", {}, "Right"), resultList(item.right))),
  );
  const buttons = el("div", { class: "choices" });
  for (const [value, label] of CHOICES) {
    const button = el("button", { type: "button", class: "choice", "data-choice": value }, label);
    button.addEventListener("click", () => vote(card, item, value));
    buttons.append(button);
  }
  card.append(buttons, el("p", { class: "reveal", role: "status" }));
  if (item.vote) showVote(card, item.vote);
  return card;
}

function showVote(card, vote) {
  card.classList.add("voted");
  for (const button of card.querySelectorAll("button.choice")) {
    button.classList.toggle("chosen", button.dataset.choice === vote.choice);
  }
  card.querySelector(".reveal").textContent = revealText(vote);
}

async function vote(card, item, choice) {
  for (const button of card.querySelectorAll("button.choice")) button.disabled = true;
  try {
    const kept = await call("/votes", { method: "POST", body: JSON.stringify({ item: item.item, choice }) });
    showVote(card, kept);
    renderTallies(kept.tallies, [...document.querySelectorAll("#segment option")].map((o) => o.value).filter(Boolean));
    $("status").textContent = "";
  } catch (error) {
    failed(error);
  } finally {
    for (const button of card.querySelectorAll("button.choice")) button.disabled = false;
  }
}

async function load() {
  $("login").hidden = true;
  $("status").textContent = "Loading…";
  const segment = $("segment").value;
  try {
    const queue = await call("/queue" + (segment ? "?segment=" + encodeURIComponent(segment) : ""));
    $("main").hidden = false;
    $("forget").hidden = false;
    $("reviewer").textContent = "Reviewing as " + queue.reviewer;
    renderTallies(queue.tallies, queue.segments);
    const items = $("items");
    items.replaceChildren(...queue.items.map(renderItem));
    const open = queue.items.filter((i) => !i.vote).length;
    $("status").textContent = queue.items.length
      ? queue.items.length + " divergent queries, " + open + " without your vote."
      : "No divergent query kept yet: let traffic run through the sidecar.";
  } catch (error) {
    $("status").textContent = "";
    if (error.status === 401 || !token()) failed(error);
    else {
      $("main").hidden = false;
      $("status").textContent = "Error " + (error.status || "") + ": " + error.message;
    }
  }
}

function start() {
  $("open").addEventListener("click", () => {
    const value = $("token").value.trim();
    if (!value) return;
    sessionStorage.setItem(KEY, value);
    $("token").value = "";
    load();
  });
  $("token").addEventListener("keydown", (event) => {
    if (event.key === "Enter") $("open").click();
  });
  $("forget").addEventListener("click", () => {
    sessionStorage.removeItem(KEY);
    showLogin("");
  });
  $("segment").addEventListener("change", load);
  if (token()) load();
  else showLogin("");
}

document.addEventListener("DOMContentLoaded", start);
