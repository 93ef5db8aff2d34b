// molaudit downloads: the kernel sends a file's bytes; the browser saves them.
// Registered once per model (initialize), so a re-displayed panel does not save twice.
function save(msg, buffers) {
  if (!msg || msg.type !== "download" || !buffers || !buffers.length) return;
  const blob = new Blob([buffers[0]], { type: msg.mime || "application/octet-stream" });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = msg.filename || "molaudit_export";
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(url); a.remove(); }, 60000);
}

export default {
  initialize({ model }) {
    // tell molaudit plots this model initialized (they hold long work until it did: plot.js)
    (globalThis.__molaudit_ready ||= new Set()).add(model.get("_ma_key"));
    model.on("msg:custom", save);
    return () => model.off("msg:custom", save);
  },
  render({ el }) {
    el.style.display = "none";
  },
};
