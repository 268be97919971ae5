// Photos taken on a phone are 3000-4000 px wide and several MB: shrink each chosen photo in the browser to at most
// the input's data-downscale pixels on the longest side (JPEG), before it is sent over a weak signal. The server
// checks every file again; a browser without createImageBitmap or DataTransfer sends the photos as they are.
(() => {
  const QUALITY = 0.85;

  const shrink = async (file, limit) => {
    if (!file.type.startsWith("image/")) return file; // a PDF or anything else: the server decides
    let image;
    try {
      // Decoded straight from the file: a blob: address would be refused by the page's img-src policy.
      image = await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch (error) {
      return file; // not decodable here (or no createImageBitmap): the server decides
    }
    const longest = Math.max(image.width, image.height);
    if (longest <= limit) { image.close(); return file; }
    const scale = limit / longest;
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(image.width * scale));
    canvas.height = Math.max(1, Math.round(image.height * scale));
    canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
    image.close();
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
