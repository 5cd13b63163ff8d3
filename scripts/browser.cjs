// Drives the leadscore dashboard in headless Chromium (playwright-core) and checks it as a
// person would use it. Run by scripts/browser.sh, which starts the server:
//
//   NODE_PATH=target/browser/node_modules CHROMIUM=/usr/bin/chromium node scripts/browser.cjs BASE_URL COMPARE_JSON SCREENSHOT
//
// Every check prints one line; the last line is "browser: N passed, M failed"; the exit code is
// non-zero when any check failed.
'use strict';

const fs = require('fs');
const { chromium } = require('playwright-core');

const [base, compareJson, screenshot] = process.argv.slice(2);
if (!base || !compareJson || !screenshot) {
  console.error('usage: browser.cjs BASE_URL COMPARE_JSON SCREENSHOT');
  process.exit(2);
}

let passed = 0;
let failed = 0;
function check(name, ok, detail) {
  if (ok) {
    passed += 1;
    console.log(`ok    ${name}`);
  } else {
    failed += 1;
    console.log(`FAIL  ${name}${detail === undefined ? '' : `: ${detail}`}`);
  }
}

const pct = (x) => `${(x * 100).toFixed(1)}%`;

/** The figures the page shows for the model: raw values (data-value) and text. */
async function shown(page) {
  return page.evaluate(() => {
    const read = (id) => {
      const el = document.getElementById(id);
      return { value: Number(el.getAttribute('data-value')), text: el.textContent };
    };
    return {
      slider: document.getElementById('threshold').value,
      threshold: read('t-value'),
      rate: read('m-rate'),
      count: read('m-count'),
      precision: read('m-precision'),
      recall: read('m-recall'),
      lift: read('m-lift'),
    };
  });
}

/** Whether the page's figures are what the API gives at the threshold the slider is on. */
async function matchesApi(page, label) {
  const s = await shown(page);
  const t = s.threshold.value;
  const response = await fetch(`${base}/v1/thresholds?strategy=fixed&value=${t}`);
  const api = (await response.json()).thresholds[0];
  const same =
    api.value === t &&
    api.mql_rate === s.rate.value &&
    api.precision === s.precision.value &&
    api.recall === s.recall.value &&
    api.lift === s.lift.value &&
    s.rate.text === pct(api.mql_rate) &&
    s.precision.text === pct(api.precision) &&
    s.recall.text === pct(api.recall);
  check(
    `${label}: threshold ${s.threshold.text} shows the API's figures (MQL ${s.rate.text}, precision ${s.precision.text}, recall ${s.recall.text})`,
    same,
    JSON.stringify({ page: s, api }),
  );
  return s;
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    const problems = [];
    const offsite = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    page.on('request', (r) => {
      if (!r.url().startsWith(base) && !r.url().startsWith('data:')) offsite.push(r.url());
    });

    const response = await page.goto(`${base}/`, { waitUntil: 'load' });
    check('GET / answers 200 with HTML', response.status() === 200 && /text\/html/.test(response.headers()['content-type']));
    check('the title names the model', /leads v1/.test(await page.title()), await page.title());

    // The plots render: each chart is an SVG of a real size with drawn marks.
    const charts = await page.$$eval('figure > svg', (svgs) =>
      svgs.map((svg) => {
        const r = svg.getBoundingClientRect();
        return { w: r.width, h: r.height, marks: svg.querySelectorAll('polyline, path, rect, circle').length };
      }),
    );
    check(`${charts.length} charts (4 held out, 2 against the rules)`, charts.length === 6, JSON.stringify(charts));
    check(
      'every chart is drawn at a readable size with marks',
      charts.every((c) => c.w >= 300 && c.h >= 200 && c.marks >= 3),
      JSON.stringify(charts),
    );

    // At load: the model's default (max_f1) threshold.
    const start = await matchesApi(page, 'at load');

    // Moving the slider with the mouse: click on the track at a fifth and at two thirds.
    await page.locator('#threshold').scrollIntoViewIfNeeded();
    const box = await page.locator('#threshold').boundingBox();
    await page.mouse.click(box.x + box.width * 0.2, box.y + box.height / 2);
    const low = await matchesApi(page, 'slider moved to a fifth');
    check('moving the slider down raises the MQL volume', low.rate.value > start.rate.value, `${low.rate.text} vs ${start.rate.text}`);
    await page.mouse.click(box.x + box.width * 0.66, box.y + box.height / 2);
    const high = await matchesApi(page, 'slider moved to two thirds');
    check(
      'moving the slider up lowers the volume and raises precision',
      high.rate.value < low.rate.value && high.precision.value > low.precision.value,
      `${high.rate.text}/${high.precision.text} vs ${low.rate.text}/${low.precision.text}`,
    );
    // And with the keyboard: five steps of 0.001 to the left.
    await page.locator('#threshold').focus();
    for (let i = 0; i < 5; i += 1) await page.keyboard.press('ArrowLeft');
    const keyed = await matchesApi(page, 'five arrow-key steps left');
    check(
      'arrow keys move the threshold by 0.001 a step',
      Math.abs(high.threshold.value - keyed.threshold.value - 0.005) < 1e-9,
      `${high.threshold.text} -> ${keyed.threshold.text}`,
    );

    // The rules' figures are those of the comparison given with --compare.
    const comparison = JSON.parse(fs.readFileSync(compareJson, 'utf8'));
    const rules = comparison.own_threshold.find((o) => o.scorer === 'rules');
    const rulesShown = await page.evaluate(() =>
      ['r-rate', 'r-precision', 'r-recall'].map((id) => Number(document.getElementById(id).getAttribute('data-value'))),
    );
    check(
      `the rules' figures are the comparison's (MQL ${pct(rules.mql_rate)}, precision ${pct(rules.precision)}, recall ${pct(rules.recall)})`,
      rulesShown[0] === rules.mql_rate && rulesShown[1] === rules.precision && rulesShown[2] === rules.recall,
      JSON.stringify(rulesShown),
    );
    // "Same MQL volume as the rules" puts the model at the nearest volume on its held-out curve.
    await page.click('#match-rules');
    const matched = await matchesApi(page, "'same MQL volume as the rules'");
    check(
      "the button lands the model's volume within a point of the rules'",
      Math.abs(matched.rate.value - rules.mql_rate) < 0.01,
      `${matched.rate.text} vs ${pct(rules.mql_rate)}`,
    );
    // Back to the suggested threshold for the picture.
    await page.click('button[data-threshold]');
    await matchesApi(page, 'the first suggestion button');

    check('no console error or warning, no failed request', problems.length === 0, problems.join(' | '));
    check('nothing is loaded from outside the server', offsite.length === 0, offsite.join(' | '));

    await page.screenshot({ path: screenshot, fullPage: true });
    check(`screenshot written to ${screenshot}`, fs.statSync(screenshot).size > 10000);
  } catch (e) {
    check('the browser session ran to the end', false, e && e.stack ? e.stack : String(e));
  } finally {
    await browser.close();
  }
  console.log(`browser: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
})();
