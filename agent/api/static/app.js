// clinagent clinician page: the key, the patient picker and banner, the view tabs, print.
"use strict";

// ---- views (tabs) ----------------------------------------------------------------------------

function tabs() {
  return [...document.querySelectorAll("#view-tabs [role=tab]")];
}

// Show one view; its data is loaded once per patient (``load: false`` when the caller fills it).
function showView(name, { load = true, focus = false } = {}) {
  state.view = name;
  for (const tab of tabs()) {
    const selected = tab.dataset.view === name;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    $(tab.getAttribute("aria-controls")).hidden = !selected;
    if (selected && focus) tab.focus();
  }
  const patientId = state.patient;
  // A view with data beyond the chosen patient (the coding queue) refreshes on every show.
  if (load && VIEWS[name] && VIEWS[name].show) VIEWS[name].show(patientId);
  if (load && patientId && VIEWS[name] && state.loaded[name] !== patientId) {
    state.loaded[name] = patientId;
    VIEWS[name].load(patientId).catch(() => {
      if (state.loaded[name] === patientId) delete state.loaded[name];
    });
  }
}

// Arrow keys, Home and End move between tabs (WAI-ARIA tabs pattern, automatic activation).
function onTabKey(event) {
  const all = tabs();
  const at = all.indexOf(event.target);
  const moves = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: all.length - 1 };
  if (!(event.key in moves)) return;
  event.preventDefault();
  const next = all[(moves[event.key] + all.length) % all.length];
  showView(next.dataset.view, { focus: true });
}

// ---- banner ----------------------------------------------------------------------------------

const BANNER_FIELDS = [
  ["mrn", "MRN"], ["dob", "DOB"], ["age", "Age"], ["sex", "Sex"], ["location", "Location"],
  ["attending", "Attending"],
];
const FIELD_PLURALS = { mrn: "MRNs", dob: "dates of birth", name: "names", sex: "sexes",
  age: "ages", location: "locations", attending: "attendings" };

function bannerField(fields, code, label) {
  const field = fields[code];
  return el("div", { className: "banner-field", "data-field": code }, [
    el("dt", { text: label }),
    el("dd", { className: field ? "" : "missing", text: field ? field.value : "not in the notes",
      title: field ? (field.source === "derived" ? "worked out from the notes"
        : "read from the notes") : null }),
  ]);
}

function renderBanner(patientId, banner) {
  $("patient-banner").hidden = false;
  const fields = (banner && banner.fields) || {};
  const nameField = fields.name;
  $("banner-name").replaceChildren(
    el("span", { className: nameField ? "banner-patient-name" : "banner-patient-name missing",
      text: nameField ? nameField.value : "Identity not in the notes" }),
    el("span", { className: "banner-id", text: ` patient ${patientId}` }),
  );
  $("banner-fields").replaceChildren(...(banner ? BANNER_FIELDS.map(
    ([code, label]) => bannerField(fields, code, label)) : []));
  const warnings = [];
  if (!banner) warnings.push("Patient identity is not available from this server: check the "
    + "patient against the chart.");
  else if (BANNER_FIELDS.concat([["name"]]).every(([code]) => !fields[code])) {
    warnings.push("Identity not in the notes: no name, MRN or date of birth found.");
  }
  for (const c of (banner && banner.conflicts) || []) {
    const what = FIELD_PLURALS[c.field] || plain(c.field) + " values";
    warnings.push(`${sentenceCase(countWord(c.values.length))} ${what} in the notes `
      + `(${c.values.join(", ")}): check the patient.`);
  }
  $("banner-warnings").hidden = warnings.length === 0;
  $("banner-warnings").textContent = warnings.join(" ");
  if (banner && nameField) {
    const option = $("patient-select").querySelector(`option[value="${CSS.escape(patientId)}"]`);
    if (option) {
      option.textContent = `${nameField.value}`
        + (fields.mrn ? `, MRN ${fields.mrn.value}` : "") + ` (${patientId})`;
    }
  }
}

async function loadBanner(patientId) {
  try {
    if (!state.banners[patientId]) {
      state.banners[patientId] = (await api(patientPath(patientId, "banner"))).body;
    }
    if (state.patient === patientId) renderBanner(patientId, state.banners[patientId]);
  } catch (err) {
    if (state.patient === patientId) renderBanner(patientId, null);
  }
}

// ---- key and patients ------------------------------------------------------------------------

async function loadPatients() {
  const select = $("patient-select");
  if (!apiKey()) {
    setStatus("Enter an API key to list patients.", "warn");
    return;
  }
  setStatus("Loading patients...");
  try {
    const { body } = await api("/v1/patients");
    select.replaceChildren(el("option", { value: "", text: "choose a patient" }));
    for (const p of body.patients) {
      const dates = p.first_date ? `, ${p.first_date} to ${p.last_date || p.first_date}` : "";
      select.append(el("option", {
        value: p.patient_id, text: `${p.patient_id} (${count(p.note_count, "note")}${dates})`,
      }));
    }
    select.disabled = false;
    setStatus(body.patients.length ? `${count(body.patients.length, "patient")} available.`
      : "No patient visible to this key. Ingest notes with POST /v1/notes.", "");
  } catch (err) {
    select.disabled = true;
    setStatus("Could not list patients: " + err.message, "error");
  }
}

function resetViews() {
  state.loaded = {};
  state.handoff = null;
  resetHandoff();
  resetNotesView();
  resetCodingView();
  for (const id of ["medrec", "timeline", "labs", "history", "changes", "chat-answer"]) {
    $(id).replaceChildren();
  }
  $("patient-banner").hidden = true;
}

function choosePatient() {
  state.patient = $("patient-select").value;
  const ready = Boolean(state.patient);
  for (const id of ["request-handoff", "chat-question", "chat-send", "print-page"]) {
    $(id).disabled = !ready;
  }
  resetViews();
  if (!ready) return;
  setStatus(`Patient ${state.patient} selected.`);
  loadBanner(state.patient);
  patientNotes(state.patient).catch((err) => setStatus("Could not load the notes: "
    + err.message, "error"));
  showView(state.view);
}

function forgetKey() {
  sessionStorage.removeItem(KEY_STORAGE);
  $("api-key").value = "";
  state.patient = "";
  state.notes = {};
  state.banners = {};
  resetViews();
  const select = $("patient-select");
  select.replaceChildren(el("option", { value: "", text: "enter an API key first" }));
  select.disabled = true;
  for (const id of ["request-handoff", "chat-question", "chat-send", "print-page"]) {
    $(id).disabled = true;
  }
  setStatus("Key forgotten: this tab holds no key and no patient data.", "ok");
}

// ---- wiring ----------------------------------------------------------------------------------

function init() {
  $("api-key").value = apiKey();
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("api-key").value.trim();
    if (key) sessionStorage.setItem(KEY_STORAGE, key);
    else sessionStorage.removeItem(KEY_STORAGE);
    state.notes = {};
    state.banners = {};
    loadPatients();
  });
  $("forget-key").addEventListener("click", forgetKey);
  $("reload-patients").addEventListener("click", loadPatients);
  $("patient-select").addEventListener("change", choosePatient);
  $("request-handoff").addEventListener("click", requestHandoff);
  $("print-page").addEventListener("click", () => window.print());
  $("chat-form").addEventListener("submit", ask);
  $("search-form").addEventListener("submit", searchNotes);
  for (const tab of tabs()) {
    tab.addEventListener("click", () => showView(tab.dataset.view));
    tab.addEventListener("keydown", onTabKey);
  }
  if (apiKey()) loadPatients();
}

document.addEventListener("DOMContentLoaded", init);
