// Opens the served page in Debian's Chromium through playwright-core, waits until it says
// "ready", then runs the studio on five more bursts and reports the page's own timings.
// Usage: node scripts/e2e.cjs URL cpu|webgpu   (prints one JSON line; exit 1 on failure)
// The run must end on the backend it names: the page's `#backend` says which one it used
// (`data-backend` = webgpu or cpu), and a webgpu run that fell back to the CPU, or a cpu
// run that got WebGPU, fails with a message naming the expected and the actual backend.
const { chromium } = require('playwright-core');

(async () => {
  const [url, mode = 'cpu'] = process.argv.slice(2);
  const args = ['--no-sandbox', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-quic'];
  args.push(mode === 'webgpu' ? '--enable-unsafe-webgpu' : '--disable-gpu');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args });
  const expectedBackend = mode === 'webgpu' ? 'webgpu' : 'cpu';
  const out = { mode, expected_backend: expectedBackend, errors: [] };
  try {
    const page = await browser.newPage();
    // main-thread tasks over 50 ms, to check that inference does not freeze the page
    await page.addInitScript(() => {
      window.__longtasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__longtasks.push([e.startTime, e.duration]);
      }).observe({ type: 'longtask', buffered: true });
    });
    page.on('pageerror', (e) => out.errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') out.errors.push(m.text()); });
    await page.goto(url);
    await page.waitForSelector('#status[data-state="ready"], #status[data-state="failed"]',
      { timeout: 300000 });
    out.state = await page.getAttribute('#status', 'data-state');
    out.status = (await page.textContent('#status')).trim();
    if (out.state === 'ready') {
      out.backend = (await page.textContent('#backend')).trim();
      out.backend_kind = await page.getAttribute('#backend', 'data-backend');
      await page.waitForSelector('#prediction');
      out.prediction = (await page.textContent('#prediction')).trim();
      out.inference_ms = [];
      const readyAt = await page.evaluate(() => performance.now());
      for (const cls of ['4ASK', '8ASK', 'OQPSK', 'GFSK', 'GMSK']) {
        await page.selectOption('#studio-class', cls);
        await page.waitForFunction(
          (c) => (document.querySelector('#prediction')?.textContent || '').includes(`true class ${c}:`),
          cls, { timeout: 120000 });
        const t = await page.textContent('#studio-time');
        out.inference_ms.push(parseFloat(t));
      }
      out.last_time = (await page.textContent('#studio-time')).trim();
      // the longest main-thread task while the studio ran, ms (0: none over 50 ms)
      out.longest_task_after_ready_ms = await page.evaluate((t0) => Math.max(0,
        ...window.__longtasks.filter(([start]) => start > t0).map(([, d]) => Math.round(d))), readyAt);
      if (process.env.FIPMAE_SCREENSHOT) {
        await page.screenshot({ path: `${process.env.FIPMAE_SCREENSHOT}-${mode}.png`, fullPage: true });
      }
    }
  } catch (e) {
    out.errors.push(String(e));
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(out));
  // the backend is known once the page said "ready" (`#backend` is shown from then on)
  const backendOk = out.backend_kind === expectedBackend;
  if (out.state === 'ready' && !backendOk) {
    console.error(`e2e ${mode}: expected backend ${expectedBackend}, the page used ` +
      `${out.backend_kind ?? 'none (no data-backend on #backend)'}: "${out.backend ?? ''}"`);
  }
  const ok = out.state === 'ready' && backendOk && out.inference_ms &&
    out.inference_ms.length === 5 &&
    out.errors.filter((e) => !e.includes('favicon')).length === 0;
  process.exit(ok ? 0 : 1);
})();
