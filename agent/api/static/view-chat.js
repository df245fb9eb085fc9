// Chat view: the question goes to POST /v1/chat as a stream (server-sent events: passages,
// sentence, done, error); sentences show as they arrive with their verdict words and chips.
"use strict";

function answerSentence(s, patientId) {
  return el("li", {
    className: "answer-sentence",
    "data-verdict": s.verification ? s.verification.verdict : "NOT_VERIFIED",
  }, [
    el("span", { className: "statement-text", text: s.text }),
    ...verdictBadge(s.verification),
    citationList(s.citations, patientId),
  ]);
}

// The final answer in ``block`` (a new block on top when none is given).
function renderAnswer(question, answer, block) {
  const sentences = answer.sentences || [];
  const target = block || el("article", { className: "qa" });
  target.replaceChildren(
    el("p", { className: "question", text: question }),
    ...(answer.flags || []).map((flag) => el("p", { className: "run-flag",
      text: readable(flag) })),
  );
  if (answer.no_answer) {
    // "The notes do not say ...": an answer about the notes, not a fact to check.
    target.dataset.noAnswer = "true";
    target.append(el("p", { className: "no-answer",
      text: answer.answer || sentences.map((s) => s.text).join(" ")
        || "The notes do not say." }));
  } else if (!sentences.length) {
    target.append(el("p", { className: "no-answer", text: "No answer found in the notes." }));
  } else {
    target.append(el("ul", { className: "answer" },
      sentences.map((s) => answerSentence(s, answer.patient_id))));
  }
  const passages = (answer.passages || []).length;
  target.append(el("p", { className: "meta", text: `${answer.mode === "llm" ? "LLM-written"
    : "Extractive"} answer from ${count(passages, "retrieved passage")}.` }));
  if (!block) $("chat-answer").prepend(target);
  return target;
}

// Server-sent events from a fetch body: calls ``onEvent(name, data)`` per complete event.
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
    let cut;
    while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const raw = buffer.slice(0, cut);
      buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, "");
      let name = "message";
      const data = [];
      for (const line of raw.split(/\r?\n/)) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) onEvent(name, JSON.parse(data.join("\n")));
    }
    if (done) return;
  }
}

async function streamAnswer(patientId, question, block) {
  const events = [];
  block.dataset.events = "";
  const list = el("ul", { className: "answer" });
  const progress = el("p", { className: "meta stream-progress", text: "Searching the notes..." });
  block.replaceChildren(el("p", { className: "question", text: question }), list, progress);
  const response = await fetch("/v1/chat", {
    method: "POST",
    headers: authHeaders({ "Content-Type": "application/json", Accept: "text/event-stream" }),
    body: JSON.stringify({ patient_id: patientId, question, stream: true }),
  });
  if (!response.ok) throw new ApiError(await problemMessage(response), response.status);
  block.dataset.transport = (response.headers.get("content-type") || "")
    .startsWith("text/event-stream") ? "stream" : "json";
  if (block.dataset.transport !== "stream") {
    renderAnswer(question, await response.json(), block);
    return;
  }
  let final = null;
  let failure = null;
  await readEvents(response, (name, data) => {
    events.push(name);
    block.dataset.events = events.join(",");
    if (name === "passages") {
      progress.textContent = `${count(data.length, "passage")} found; writing the answer...`;
    } else if (name === "sentence") {
      list.append(answerSentence(data, patientId));
    } else if (name === "done") {
      final = data;
    } else if (name === "error") {
      failure = `${data.status || ""} ${data.title || "error"}`
        + (data.detail ? ": " + data.detail : "");
    }
  });
  if (failure) throw new Error(failure.trim());
  if (!final) throw new Error("the answer stream ended early; ask again");
  renderAnswer(question, final, block);
}

async function ask(event) {
  event.preventDefault();
  const input = $("chat-question");
  const question = input.value.trim();
  const patientId = state.patient;
  if (!question || !patientId) return;
  const button = $("chat-send");
  button.disabled = true;
  setStatus("Searching the notes...");
  const block = el("article", { className: "qa", "aria-busy": "true" });
  $("chat-answer").prepend(block);
  try {
    delete state.notes[patientId]; // notes may have arrived since: the chips name them
    await patientNotes(patientId);
    await streamAnswer(patientId, question, block);
    input.value = "";
    setStatus("Answer ready.", "ok");
  } catch (err) {
    block.append(el("p", { className: "error", text: "Chat failed: " + err.message }));
    setStatus("Chat failed: " + err.message, "error");
  } finally {
    block.setAttribute("aria-busy", "false");
    button.disabled = !state.patient;
  }
}
