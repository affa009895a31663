/*
 * The results chapter's panel: the book's trained flood segmenter, run on a photo of the
 * reader's in the reader's own browser (onnxruntime-web, WebAssembly). Nothing is uploaded.
 *
 * The build (book/_ext/segmenter_panel.py) puts beside this file a folder `segmenter/` with
 * `panel.json` (what the panel needs to know, or why it is disabled), `model.onnx`, the
 * onnxruntime-web files and a few sample photos. The page holds an empty
 * <div id="segmenter-panel">; this script fills it.
 *
 * The photo is prepared as `python -m unet_tutorial predict` prepares it
 * (unet_tutorial/predict.py, data/transforms.py, training/inference.py):
 *   1. a JPEG is decoded at a reduced scale, as Pillow's `draft` does (here: the full decode
 *      averaged over s×s blocks, the nearest the browser can get to libjpeg's scaled decode);
 *   2. shrunk to S×S with Pillow's `resize(..., LANCZOS, reducing_gap=3.0)`, ported below
 *      operation for operation (`Image.reduce` box averages, then Lanczos resampling with
 *      Pillow's 22-bit fixed-point coefficients and 8-bit intermediate image);
 *   3. normalised with the ImageNet mean and standard deviation;
 *   4. the network's S×S logits are resized bilinearly to the photo's own size
 *      (PyTorch's `interpolate(..., "bilinear", align_corners=False)`), then thresholded:
 *      water where the probability exceeds the threshold (logit > log(t / (1 - t))).
 *
 * For the browser test the last result is kept in `window.unetSegmenterPanel.last` and the
 * panel's state is written to the attribute `data-state` of its element.
 */
(function () {
  "use strict";

  const SCRIPT_URL = document.currentScript ? document.currentScript.src : null;
  const DISPLAY_SIDE = 900; // longest side of the shown canvases (the mask itself is full size)

  // ---------------------------------------------------------------------------------------
  // Pillow's resize, ported (src/libImaging/Reduce.c, Resample.c; PIL/Image.py resize)
  // ---------------------------------------------------------------------------------------

  /** Pillow's division_UINT32(n, 8): a 24-bit fixed-point reciprocal of n, computed in float32. */
  function reduceMultiplier(n) {
    return Math.trunc(Math.fround(4294967296 / Math.fround(256 * n)));
  }

  /**
   * Image.reduce((fx, fy)) of an RGB image (3 bytes a pixel): every output pixel is the
   * rounded mean of its fx×fy block (smaller blocks at the right and bottom edges), in
   * Pillow's fixed-point arithmetic.
   */
  function reduce(rgb, width, height, fx, fy) {
    const outW = Math.ceil(width / fx);
    const outH = Math.ceil(height / fy);
    const out = new Uint8Array(outW * outH * 3);
    const multipliers = new Map();
    for (let y = 0; y < outH; y++) {
      const top = y * fy;
      const bottom = Math.min(top + fy, height);
      for (let x = 0; x < outW; x++) {
        const left = x * fx;
        const right = Math.min(left + fx, width);
        const n = (bottom - top) * (right - left);
        let multiplier = multipliers.get(n);
        if (multiplier === undefined) {
          multiplier = reduceMultiplier(n);
          multipliers.set(n, multiplier);
        }
        const amend = Math.floor(n / 2);
        let s0 = amend, s1 = amend, s2 = amend;
        for (let yy = top; yy < bottom; yy++) {
          let i = (yy * width + left) * 3;
          for (let xx = left; xx < right; xx++, i += 3) {
            s0 += rgb[i];
            s1 += rgb[i + 1];
            s2 += rgb[i + 2];
          }
        }
        const o = (y * outW + x) * 3;
        out[o] = Math.floor((s0 * multiplier) / 16777216);
        out[o + 1] = Math.floor((s1 * multiplier) / 16777216);
        out[o + 2] = Math.floor((s2 * multiplier) / 16777216);
      }
    }
    return { rgb: out, width: outW, height: outH };
  }

  function sinc(x) {
    if (x === 0) return 1.0;
    x *= Math.PI;
    return Math.sin(x) / x;
  }

  function lanczos(x) {
    return -3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0;
  }

  const PRECISION_BITS = 22; // 32 - 8 - 2

  /** precompute_coeffs + normalize_coeffs_8bpc: bounds and fixed-point weights of each output. */
  function coefficients(inSize, in0, in1, outSize) {
    in0 = Math.fround(in0);
    in1 = Math.fround(in1);
    const scale = Math.fround(in1 - in0) / outSize;
    const filterscale = scale < 1.0 ? 1.0 : scale;
    const support = 3.0 * filterscale;
    const ksize = Math.ceil(support) * 2 + 1;
    const bounds = new Int32Array(outSize * 2);
    const kk = new Int32Array(outSize * ksize);
    const weights = new Float64Array(ksize);
    const inverse = 1.0 / filterscale;
    for (let xx = 0; xx < outSize; xx++) {
      const center = in0 + (xx + 0.5) * scale;
      let xmin = Math.trunc(center - support + 0.5);
      if (xmin < 0) xmin = 0;
      let xmax = Math.trunc(center + support + 0.5);
      if (xmax > inSize) xmax = inSize;
      xmax -= xmin;
      let total = 0.0;
      for (let x = 0; x < xmax; x++) {
        const w = lanczos((x + xmin - center + 0.5) * inverse);
        weights[x] = w;
        total += w;
      }
      for (let x = 0; x < xmax; x++) {
        const w = total !== 0.0 ? weights[x] / total : weights[x];
        kk[xx * ksize + x] = Math.trunc(w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS));
      }
      bounds[xx * 2] = xmin;
      bounds[xx * 2 + 1] = xmax;
    }
    return { ksize, bounds, kk };
  }

  function clip8(sum) {
    const v = sum >> PRECISION_BITS;
    return v < 0 ? 0 : v > 255 ? 255 : v;
  }

  /** ImagingResampleInner with the Lanczos filter on an RGB image and a float box. */
  function resample(rgb, width, height, outW, outH, box) {
    const needHorizontal = outW !== width || box[0] !== 0 || box[2] !== outW;
    const needVertical = outH !== height || box[1] !== 0 || box[3] !== outH;
    const vert = coefficients(height, box[1], box[3], outH);
    const first = vert.bounds[0];
    const last = vert.bounds[outH * 2 - 2] + vert.bounds[outH * 2 - 1];
    let image = rgb, w = width;
    if (needHorizontal) {
      const horiz = coefficients(width, box[0], box[2], outW);
      for (let i = 0; i < outH; i++) vert.bounds[i * 2] -= first;
      const rows = last - first;
      const temp = new Uint8Array(outW * rows * 3);
      for (let yy = 0; yy < rows; yy++) {
        const line = (yy + first) * width * 3;
        for (let xx = 0; xx < outW; xx++) {
          const xmin = horiz.bounds[xx * 2], xmax = horiz.bounds[xx * 2 + 1];
          const k = xx * horiz.ksize;
          let s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0;
          for (let x = 0; x < xmax; x++) {
            const i = line + (x + xmin) * 3;
            const weight = horiz.kk[k + x];
            s0 += rgb[i] * weight;
            s1 += rgb[i + 1] * weight;
            s2 += rgb[i + 2] * weight;
          }
          const o = (yy * outW + xx) * 3;
          temp[o] = clip8(s0);
          temp[o + 1] = clip8(s1);
          temp[o + 2] = clip8(s2);
        }
      }
      image = temp;
      w = outW;
    }
    if (!needVertical) return image;
    const out = new Uint8Array(w * outH * 3);
    for (let yy = 0; yy < outH; yy++) {
      const ymin = vert.bounds[yy * 2], ymax = vert.bounds[yy * 2 + 1];
      const k = yy * vert.ksize;
      for (let xx = 0; xx < w; xx++) {
        let s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0;
        for (let y = 0; y < ymax; y++) {
          const i = ((y + ymin) * w + xx) * 3;
          const weight = vert.kk[k + y];
          s0 += image[i] * weight;
          s1 += image[i + 1] * weight;
          s2 += image[i + 2] * weight;
        }
        const o = (yy * w + xx) * 3;
        out[o] = clip8(s0);
        out[o + 1] = clip8(s1);
        out[o + 2] = clip8(s2);
      }
    }
    return out;
  }

  /** Image.resize((side, side), LANCZOS, reducing_gap=3.0) of an RGB image: side×side×3. */
  function shrinkToSquare(rgb, width, height, side) {
    if (width === side && height === side) return rgb;
    const fx = Math.trunc(width / side / 3.0) || 1;
    const fy = Math.trunc(height / side / 3.0) || 1;
    let box = [0, 0, width, height];
    if (fx > 1 || fy > 1) {
      const reduced = reduce(rgb, width, height, fx, fy);
      box = [0, 0, width / fx, height / fy];
      return resample(reduced.rgb, reduced.width, reduced.height, side, side, box);
    }
    return resample(rgb, width, height, side, side, box);
  }

  /** The scale Pillow's JpegImageFile.draft("RGB", (side, side)) decodes at: 8, 4, 2 or 1. */
  function draftScale(width, height, side) {
    const scale = Math.min(Math.floor(width / side), Math.floor(height / side));
    return [8, 4, 2, 1].find((s) => scale >= s);
  }

  // ---------------------------------------------------------------------------------------
  // Network input and output
  // ---------------------------------------------------------------------------------------

  /** S×S×3 uint8 RGB -> 1×3×S×S float32, (value / 255 - mean) / std per channel. */
  function normalise(small, side, mean, std) {
    const plane = side * side;
    const out = new Float32Array(3 * plane);
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < plane; i++) {
        out[c * plane + i] = (small[i * 3 + c] / 255 - mean[c]) / std[c];
      }
    }
    return out;
  }

  /** Source positions and weights of PyTorch's bilinear resize (align_corners=False). */
  function bilinearAxis(inSize, outSize) {
    const scale = Math.fround(inSize / outSize);
    const i0 = new Int32Array(outSize), i1 = new Int32Array(outSize);
    const l1 = new Float32Array(outSize);
    for (let d = 0; d < outSize; d++) {
      let src = Math.fround(scale * (d + 0.5) - 0.5);
      if (src < 0) src = 0;
      const lo = Math.trunc(src);
      i0[d] = lo;
      i1[d] = lo < inSize - 1 ? lo + 1 : lo;
      l1[d] = Math.fround(src - lo);
    }
    return { i0, i1, l1 };
  }

  /**
   * The S×S logits resized along the width to S×W (kept, so that moving the threshold only
   * repeats the pass along the height), as PyTorch interpolates: width first.
   */
  function logitRows(logits, side, width) {
    const ax = bilinearAxis(side, width);
    const rows = new Float32Array(side * width);
    for (let y = 0; y < side; y++) {
      const line = y * side;
      for (let x = 0; x < width; x++) {
        const b = ax.l1[x];
        rows[y * width + x] = (1 - b) * logits[line + ax.i0[x]] + b * logits[line + ax.i1[x]];
      }
    }
    return rows;
  }

  /** The H×W mask (1 = water) from the S×W rows: resized along the height, thresholded. */
  function maskFromRows(rows, side, width, height, threshold) {
    const ay = bilinearAxis(side, height);
    const cut = Math.log(threshold / (1 - threshold));
    const mask = new Uint8Array(width * height);
    let water = 0;
    for (let y = 0; y < height; y++) {
      const a = ay.l1[y];
      const r0 = ay.i0[y] * width, r1 = ay.i1[y] * width;
      const o = y * width;
      for (let x = 0; x < width; x++) {
        const v = (1 - a) * rows[r0 + x] + a * rows[r1 + x];
        if (v > cut) {
          mask[o + x] = 1;
          water++;
        }
      }
    }
    return { mask, water };
  }

  // ---------------------------------------------------------------------------------------
  // The panel
  // ---------------------------------------------------------------------------------------

  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) node.append(child);
    return node;
  }

  function loadScript(url) {
    return new Promise((resolve, reject) => {
      const script = element("script", { src: url });
      script.onload = resolve;
      script.onerror = () => reject(new Error(`could not load ${url}`));
      document.head.append(script);
    });
  }

  async function decodePhoto(blob) {
    // Pixels as stored: no EXIF rotation and no colour-profile conversion, as Pillow reads them.
    const options = { imageOrientation: "none", colorSpaceConversion: "none", premultiplyAlpha: "none" };
    let bitmap;
    try {
      bitmap = await createImageBitmap(blob, options);
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      bitmap = await createImageBitmap(blob, { ...options, imageOrientation: "from-image" });
    }
    const canvas = element("canvas");
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(bitmap, 0, 0);
    const rgba = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
    const rgb = new Uint8Array(bitmap.width * bitmap.height * 3);
    for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
      rgb[j] = rgba[i];
      rgb[j + 1] = rgba[i + 1];
      rgb[j + 2] = rgba[i + 2];
    }
    return { bitmap, rgb, width: bitmap.width, height: bitmap.height };
  }

  function isJpeg(bytes) {
    return bytes.length > 2 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  }

  class Panel {
    constructor(root, assets, info) {
      this.root = root;
      this.assets = assets;
      this.info = info;
      this.session = null;
      this.current = null;
      this.build();
    }

    setState(state, message) {
      this.root.dataset.state = state;
      if (message !== undefined) this.status.textContent = message;
    }

    build() {
      const info = this.info;
      this.root.replaceChildren();
      this.root.append(element("p", { class: "segmenter-about", text: info.about }));
      const picker = element("input", { type: "file", accept: "image/*", id: "segmenter-file" });
      picker.addEventListener("change", () => {
        if (picker.files.length) this.run(picker.files[0], picker.files[0].name);
      });
      const samples = element("span", { class: "segmenter-samples" }, "or a sample: ");
      for (const sample of info.samples) {
        const button = element("button", { type: "button", text: sample.label });
        button.addEventListener("click", async () => {
          const response = await fetch(new URL(sample.file, this.assets));
          this.run(await response.blob(), sample.label);
        });
        samples.append(button);
      }
      const label = element("label", { for: "segmenter-file", text: "Your photo: " });
      this.root.append(element("div", { class: "segmenter-controls" }, label, picker, samples));
      this.threshold = element("input", {
        type: "range", min: "0.05", max: "0.95", step: "0.01", value: String(info.threshold),
        id: "segmenter-threshold",
      });
      this.thresholdValue = element("output", { for: "segmenter-threshold", text: Number(info.threshold).toFixed(2) });
      this.threshold.addEventListener("input", () => {
        this.thresholdValue.textContent = Number(this.threshold.value).toFixed(2);
        if (this.current) this.showMask();
      });
      this.root.append(
        element("div", { class: "segmenter-controls" },
          element("label", { for: "segmenter-threshold", text: "Water where the probability is above " }),
          this.threshold, " ", this.thresholdValue),
      );
      this.status = element("p", { class: "segmenter-status", role: "status" });
      this.root.append(this.status);
      const figures = element("div", { class: "segmenter-figures" });
      this.canvases = {};
      for (const [name, caption] of [["photo", "the photo"], ["mask", "the predicted mask (white: water)"], ["overlay", "the overlay"]]) {
        const canvas = element("canvas", { class: "segmenter-" + name, role: "img", "aria-label": caption });
        this.canvases[name] = canvas;
        figures.append(element("figure", {}, canvas, element("figcaption", { text: caption })));
      }
      this.root.append(figures);
    }

    /** The onnxruntime-web session, created once (the first call starts it). */
    ensureSession() {
      if (!this.sessionPromise) this.sessionPromise = this.createSession();
      return this.sessionPromise;
    }

    async createSession() {
      if (!window.ort) await loadScript(new URL(this.info.runtime.script, this.assets).href);
      const ort = window.ort;
      ort.env.wasm.wasmPaths = this.assets.href;
      ort.env.wasm.numThreads = 1; // threads need cross-origin isolation, which static hosts rarely give
      ort.env.wasm.proxy = false;
      const started = performance.now();
      this.session = await ort.InferenceSession.create(new URL(this.info.model.file, this.assets).href, {
        executionProviders: ["wasm"],
      });
      this.loadMs = performance.now() - started;
      return this.session;
    }

    async run(blob, name) {
      this.setState("busy", `Segmenting ${name} ...`);
      try {
        const started = performance.now();
        const bytes = new Uint8Array(await blob.slice(0, 3).arrayBuffer());
        const photo = await decodePhoto(blob);
        const side = this.info.model.image_size;
        let rgb = photo.rgb, width = photo.width, height = photo.height;
        const draft = isJpeg(bytes) ? draftScale(width, height, side) : 1;
        if (draft > 1) ({ rgb, width, height } = reduce(rgb, width, height, draft, draft));
        const small = shrinkToSquare(rgb, width, height, side);
        const input = normalise(small, side, this.info.model.mean, this.info.model.std);
        const session = await this.ensureSession();
        const ort = window.ort;
        const tensor = new ort.Tensor("float32", input, [1, 3, side, side]);
        const before = performance.now();
        const output = await session.run({ [this.info.model.input]: tensor });
        const networkMs = performance.now() - before;
        const logits = Float32Array.from(output[this.info.model.output].data);
        const rows = logitRows(logits, side, photo.width);
        const loadMs = this.loadReported ? undefined : this.loadMs;
        this.loadReported = true;
        this.current = { name, photo, side, input, logits, rows, networkMs, draft, started, loadMs };
        this.showMask();
      } catch (error) {
        console.error("segmenter panel:", error);
        this.setState("error", `Could not segment ${name}: ${error.message || error}`);
      }
    }

    showMask() {
      const c = this.current;
      const threshold = Number(this.threshold.value);
      const { width, height } = c.photo;
      const { mask, water } = maskFromRows(c.rows, c.side, width, height, threshold);
      const scale = Math.min(1, DISPLAY_SIDE / Math.max(width, height));
      const w = Math.max(1, Math.round(width * scale)), h = Math.max(1, Math.round(height * scale));
      for (const canvas of Object.values(this.canvases)) {
        canvas.width = w;
        canvas.height = h;
      }
      const photoContext = this.canvases.photo.getContext("2d", { willReadFrequently: true });
      photoContext.drawImage(c.photo.bitmap, 0, 0, w, h);
      const shown = photoContext.getImageData(0, 0, w, h);
      const maskImage = new ImageData(w, h);
      const overlay = new ImageData(w, h);
      const [r, g, b] = this.info.overlay.color;
      const alpha = this.info.overlay.alpha;
      for (let y = 0; y < h; y++) {
        const sy = Math.min(height - 1, Math.floor(((y + 0.5) * height) / h));
        for (let x = 0; x < w; x++) {
          const sx = Math.min(width - 1, Math.floor(((x + 0.5) * width) / w));
          const wet = mask[sy * width + sx] === 1;
          const i = (y * w + x) * 4;
          const v = wet ? 255 : 0;
          maskImage.data[i] = maskImage.data[i + 1] = maskImage.data[i + 2] = v;
          maskImage.data[i + 3] = 255;
          for (let k = 0; k < 3; k++) {
            const p = shown.data[i + k];
            overlay.data[i + k] = wet ? Math.round((1 - alpha) * p + alpha * [r, g, b][k]) : p;
          }
          overlay.data[i + 3] = 255;
        }
      }
      this.canvases.mask.getContext("2d").putImageData(maskImage, 0, 0);
      this.canvases.overlay.getContext("2d").putImageData(overlay, 0, 0);
      const totalMs = performance.now() - c.started;
      const share = (100 * water) / (width * height);
      const load = c.loadMs !== undefined ? ` Loading the network took ${c.loadMs.toFixed(0)} ms, once.` : "";
      this.setState(
        "done",
        `${c.name}: ${width}×${height} px, water ${share.toFixed(1)} % of the photo. ` +
          `The network took ${c.networkMs.toFixed(0)} ms at ${c.side}×${c.side} px ` +
          `(${totalMs.toFixed(0)} ms from file to mask).${load}`,
      );
      window.unetSegmenterPanel.last = {
        name: c.name, width, height, side: c.side, threshold, draft: c.draft,
        networkMs: c.networkMs, totalMs, mask, input: c.input, logits: c.logits, water,
      };
    }
  }

  async function start() {
    const root = document.getElementById("segmenter-panel");
    if (!root || !SCRIPT_URL) return;
    window.unetSegmenterPanel = { last: null };
    const assets = new URL("segmenter/", SCRIPT_URL);
    root.dataset.state = "loading";
    let info;
    try {
      const response = await fetch(new URL("panel.json", assets));
      if (!response.ok) throw new Error(`panel.json: HTTP ${response.status}`);
      info = await response.json();
    } catch (error) {
      root.dataset.state = "disabled";
      root.replaceChildren(element("p", {
        class: "segmenter-disabled",
        text: "The panel's files were not found beside this page. Serve the built book over " +
          "HTTP (for example `python -m http.server -d _build/html`) rather than opening the " +
          "file directly: browsers do not let a page read files or start WebAssembly from file://.",
      }));
      console.warn("segmenter panel:", error);
      return;
    }
    if (info.status !== "ready") {
      root.dataset.state = "disabled";
      root.replaceChildren(element("p", { class: "segmenter-disabled", text: info.message }));
      return;
    }
    const panel = new Panel(root, assets, info);
    window.unetSegmenterPanel.panel = panel;
    panel.setState("ready", "Choose a photo. It is read and segmented here; nothing is sent anywhere.");
    window.unetSegmenterPanel.run = (blob, name) => panel.run(blob, name);
    panel.ensureSession().catch((error) => {
      console.error("segmenter panel:", error);
      panel.setState("error", `The network could not be loaded: ${error.message || error}`);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
