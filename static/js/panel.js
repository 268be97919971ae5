// Photos taken on a phone are 3000-4000 px wide and several MB: shrink each chosen photo in the browser to at most
// the input's data-downscale pixels on the longest side (JPEG), before it is sent over a weak signal. The server
// checks every file again; a browser without canvas or DataTransfer sends the photos as they are.
(() => {
  const QUALITY = 0.85;

  const loadImage = (file) =>
    new Promise((resolve, reject) => {
      const url = URL.createObjectURL(file);
      const image = new Image();
      image.onload = () => { URL.revokeObjectURL(url); resolve(image); };
      image.onerror = () => { URL.revokeObjectURL(url); reject(new Error("not an image")); };
      image.src = url;
    });

  const shrink = async (file, limit) => {
    if (!file.type.startsWith("image/")) return file; // a PDF or anything else: the server decides
    let image;
    try {
      image = await loadImage(file);
    } catch (error) {
      return file;
    }
    const longest = Math.max(image.naturalWidth, image.naturalHeight);
    if (longest <= limit) return file;
    const scale = limit / longest;
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(image.naturalWidth * scale));
    canvas.height = Math.max(1, Math.round(image.naturalHeight * scale));
    canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
    if (!blob) return file;
    const name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
    return new File([blob], name, { type: "image/jpeg", lastModified: file.lastModified });
  };

  document.addEventListener("change", async (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.dataset.downscale) return;
    if (input.dataset.downscaled === "1") { delete input.dataset.downscaled; return; } // our own change
    delete input.dataset.downscaleDone;
    const limit = parseInt(input.dataset.downscale, 10);
    if (!limit || !input.files.length || typeof DataTransfer === "undefined") return;
    const form = input.form;
    const buttons = form ? Array.from(form.querySelectorAll("button[type=submit], input[type=submit]")) : [];
    buttons.forEach((button) => { button.disabled = true; }); // not sent half-shrunk
    input.setAttribute("aria-busy", "true");
    try {
      const files = await Promise.all(Array.from(input.files).map((file) => shrink(file, limit)));
      const transfer = new DataTransfer();
      files.forEach((file) => transfer.items.add(file));
      input.files = transfer.files;
      input.dataset.downscaled = "1";
      input.dispatchEvent(new Event("change", { bubbles: true }));
    } finally {
      input.removeAttribute("aria-busy");
      buttons.forEach((button) => { button.disabled = false; });
      input.dataset.downscaleDone = "1"; // tests and pages may wait for this mark
    }
  });
})();
