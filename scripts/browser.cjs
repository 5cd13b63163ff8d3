// Drives the leadscore dashboard in headless Chromium (playwright-core) and checks it as a
// person would use it. Run by scripts/browser.sh, which starts the server:
//
//   NODE_PATH=target/browser/node_modules CHROMIUM=/usr/bin/chromium node scripts/browser.cjs BASE_URL COMPARE_JSON SCREENSHOT LEADS_CSV
//
// The server logs every lead it scores (and runs --rules), and its registry names a CHALLENGER
// (v2) that scores every lead in the shadow: the page is loaded once before any lead is logged,
// then after 2,000 leads of LEADS_CSV (JSON) with their outcomes and 2,000 more from an industry
// the model never saw (a CSV upload) have been scored, to check the "In production" section,
// the challenger's block included, against GET /v1/monitor.
//
// Every check prints one line; the last line is "browser: N passed, M failed"; the exit code is
// non-zero when any check failed.
'use strict';

const fs = require('fs');
const { chromium } = require('playwright-core');

const [base, compareJson, screenshot, leadsCsv] = process.argv.slice(2);
if (!base || !compareJson || !screenshot || !leadsCsv) {
  console.error('usage: browser.cjs BASE_URL COMPARE_JSON SCREENSHOT LEADS_CSV');
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

/** Lines of LEADS_CSV (a file without quoted cells): the header and `n` rows from `from`. */
function leadRows(from, n) {
  const lines = fs.readFileSync(leadsCsv, 'utf8').split('\n').filter((l) => l.length > 0);
  return { header: lines[0].split(','), rows: lines.slice(1 + from, 1 + from + n).map((l) => l.split(',')) };
}

/** Scores `rows` through POST /v1/score as one CSV upload; the status code. */
async function scoreCsv(header, rows) {
  const body = [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n';
  const response = await fetch(`${base}/v1/score`, { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body });
  await response.text();
  return response.status;
}

/** Scores `rows` through POST /v1/score as JSON (every value a string, read as a CSV cell; the
 * id under `id`); the status code. */
async function scoreJson(header, rows) {
  const leads = rows.map((r) => {
    const lead = {};
    header.forEach((h, i) => {
      if (h === 'lead_id') lead.id = r[i];
      else if (h !== 'outcome' && h !== 'created_at') lead[h] = r[i];
    });
    return lead;
  });
  const response = await fetch(`${base}/v1/score`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ leads, explain: 0 }),
  });
  await response.text();
  return response.status;
}

/** Waits (up to 20 s) until the log has written `n` rows, from /metrics; the count written. */
async function waitWritten(n) {
  let written = 0;
  for (let i = 0; i < 200 && written < n; i += 1) {
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const line = metrics.split('\n').find((l) => l.startsWith('leadscore_log_rows_total{fate="written"}'));
    written = line ? Number(line.split(' ')[1]) : 0;
    if (written < n) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return written;
}

/** The "In production" figures the page shows, raw values from data-value attributes. */
async function production(page) {
  return page.evaluate(() => {
    const num = (el, attr) => (el && el.hasAttribute(attr) ? Number(el.getAttribute(attr)) : null);
    const byId = (id) => document.getElementById(id);
    const rows = [...document.querySelectorAll('#live-drift tr[data-feature]')];
    const rulesAuc = document.querySelector('#live-rules tr[data-figure="auc"]');
    const rulesCells = rulesAuc ? [...rulesAuc.querySelectorAll('td[data-value]')] : [];
    return {
      scored: num(byId('live-scored'), 'data-value'),
      outcomes: num(byId('live-outcomes'), 'data-value'),
      auc: num(byId('live-auc'), 'data-value'),
      aucLow: num(byId('live-auc'), 'data-low'),
      aucHigh: num(byId('live-auc'), 'data-high'),
      holdoutAuc: num(byId('live-holdout-auc'), 'data-value'),
      tiers: [...document.querySelectorAll('#live-tiers tr[data-tier]')].map((r) => r.getAttribute('data-tier')),
      flagged: rows.filter((r) => r.classList.contains('flagged')).map((r) => r.getAttribute('data-feature')).sort(),
      driftRows: rows.length,
      rules: rulesCells.map((c) => Number(c.getAttribute('data-value'))),
      challengers: [...document.querySelectorAll('#production table.live-challenger')].map((t) => {
        const version = t.getAttribute('data-challenger');
        const note = document.getElementById(`live-challenger-${version}`);
        const row = (key) =>
          [...t.querySelectorAll(`tr[data-figure="${key}"] td[data-value]`)].map((c) => Number(c.getAttribute('data-value')));
        return {
          version,
          paired: num(note, 'data-paired'),
          text: note ? note.textContent : '',
          auc: row('auc'),
          logLoss: row('log_loss'),
          figures: [...t.querySelectorAll('tr[data-figure]')].map((r) => r.getAttribute('data-figure')),
        };
      }),
      charts: [...document.querySelectorAll('#production figure > svg')].map((svg) => {
        const r = svg.getBoundingClientRect();
        return { w: r.width, h: r.height, marks: svg.querySelectorAll('polyline, path, rect, circle').length };
      }),
    };
  });
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

    // Before any lead is logged, "In production" says so.
    await page.goto(`${base}/`, { waitUntil: 'load' });
    check(
      'before any lead: "In production" says no lead is logged yet',
      (await page.locator('#production #live-empty').count()) === 1,
      await page.locator('#production').innerText(),
    );

    // Traffic: 2,000 leads of the sample as JSON (scored by the rules too) with their outcomes,
    // then 2,000 more from a new industry as a CSV upload.
    const { header, rows } = leadRows(0, 2000);
    const industry = header.indexOf('industry');
    const leadId = header.indexOf('lead_id');
    const outcome = header.indexOf('outcome');
    const shifted = leadRows(2000, 2000).rows.map((r) => r.map((c, i) => (i === industry ? 'Space Mining' : c)));
    const statuses = [await scoreJson(header, rows), await scoreCsv(header, shifted)];
    const posted = await fetch(`${base}/v1/outcomes`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(rows.map((r) => ({ id: r[leadId], outcome: r[outcome] }))),
    });
    await posted.text();
    // Each lead is logged twice: the served row (v1) and the challenger's shadow row (v2).
    const written = await waitWritten(8000);
    check(
      '4,000 leads scored and logged with their 4,000 shadow rows, 2,000 outcomes posted',
      statuses.every((s) => s === 200) && posted.status === 200 && written === 8000,
      JSON.stringify({ statuses, outcomes: posted.status, written }),
    );
    const monitor = await (await fetch(`${base}/v1/monitor`)).json();

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
    check(
      `${charts.length} charts (4 held out, 2 against the rules, 5 in production)`,
      charts.length === 11,
      JSON.stringify(charts),
    );
    check(
      'every chart is drawn at a readable size with marks',
      charts.every((c) => c.w >= 300 && c.h >= 200 && c.marks >= 3),
      JSON.stringify(charts),
    );

    // "In production" shows what GET /v1/monitor reports.
    const live = await production(page);
    const report = monitor.report;
    const figures = report.outcomes.figures;
    check(
      `in production: ${live.scored} leads scored and ${live.outcomes} outcomes, as /v1/monitor says`,
      live.scored === 4000 && report.n_scored === 4000 && live.outcomes === 2000 && report.n_outcomes === 2000,
      JSON.stringify({ page: [live.scored, live.outcomes], api: [report.n_scored, report.n_outcomes] }),
    );
    check(
      `in production: live AUC ${live.auc} [${live.aucLow}, ${live.aucHigh}] beside the held-out ${live.holdoutAuc}, as /v1/monitor says`,
      live.auc === figures.auc.value &&
        live.aucLow === figures.auc.interval.low &&
        live.aucHigh === figures.auc.interval.high &&
        live.holdoutAuc === report.outcomes.holdout_auc,
      JSON.stringify({ page: live, api: figures.auc }),
    );
    check(
      `in production: won rate by tier for ${live.tiers.join(', ')}`,
      JSON.stringify(live.tiers) === JSON.stringify(report.outcomes.by_tier.map((t) => t.group)),
      JSON.stringify(live.tiers),
    );
    const drifted = [...report.drifted, ...(report.score_drift.flagged ? ['(score)'] : [])].sort();
    check(
      `in production: drift flagged on ${live.flagged.join(', ')}, as /v1/monitor says, out of ${live.driftRows} rows`,
      live.flagged.includes('industry') &&
        JSON.stringify(live.flagged) === JSON.stringify(drifted) &&
        live.driftRows === report.features.length + 1,
      JSON.stringify({ page: live.flagged, api: drifted }),
    );
    check(
      `in production: the rules' live AUC ${live.rules[1]} beside the model's ${live.rules[0]}, as /v1/monitor says`,
      monitor.rules && live.rules.length === 2 && live.rules[0] === monitor.rules.auc.a && live.rules[1] === monitor.rules.auc.b,
      JSON.stringify({ page: live.rules, api: monitor.rules && monitor.rules.auc }),
    );
    // The challenger's block: v2 shadowed v1 on all 4,000 leads; both live AUCs and log losses
    // (on the 2,000 with outcomes) as /v1/monitor's `challengers` gives them.
    const api = (monitor.challengers || [])[0];
    const shownChallenger = live.challengers[0];
    check(
      `in production: the challenger ${shownChallenger && shownChallenger.version} shadowed v1 on ${shownChallenger && shownChallenger.paired} leads, as /v1/monitor says`,
      live.challengers.length === 1 &&
        monitor.challengers.length === 1 &&
        shownChallenger.version === 'v2' &&
        api.challenger === 'v2' &&
        shownChallenger.paired === 4000 &&
        api.n_paired === 4000 &&
        /v2 was scored in the shadow beside v1 on 4,000 live leads/.test(shownChallenger.text),
      JSON.stringify({ page: live.challengers, api: monitor.challengers }),
    );
    check(
      `in production: the challenger's live AUC ${shownChallenger && shownChallenger.auc[1]} beside v1's ${shownChallenger && shownChallenger.auc[0]} (log loss too), as /v1/monitor says`,
      shownChallenger &&
        api.outcomes &&
        api.outcomes.n_leads === 2000 &&
        JSON.stringify(shownChallenger.figures) === JSON.stringify(['auc', 'log_loss', 'brier', 'lift', 'precision', 'recall']) &&
        shownChallenger.auc.length === 2 &&
        shownChallenger.auc[0] === api.outcomes.auc.a &&
        shownChallenger.auc[1] === api.outcomes.auc.b &&
        shownChallenger.auc[0] === figures.auc.value &&
        shownChallenger.logLoss[0] === api.outcomes.log_loss.a &&
        shownChallenger.logLoss[1] === api.outcomes.log_loss.b,
      JSON.stringify({ page: shownChallenger, api: api && api.outcomes && { auc: api.outcomes.auc, log_loss: api.outcomes.log_loss } }),
    );
    check(
      'in production: 5 charts (leads and MQL rate per day, calibration, tiers, PSI) drawn with marks',
      live.charts.length === 5 && live.charts.every((c) => c.w >= 300 && c.h >= 200 && c.marks >= 3),
      JSON.stringify(live.charts),
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

    await page.screenshot({ path: screenshot, fullPage: true });
    check(`screenshot written to ${screenshot}`, fs.statSync(screenshot).size > 10000);

    // A model with two pair terms: each drawn as a heat map, one cell per combination, named
    // by both features.
    const pairsPage = await page.goto(`${base}/?model=pairs`, { waitUntil: 'load' });
    const maps = await page.$$eval('#pairs figure', (figures) =>
      figures.map((f) => {
        const svg = f.querySelector('svg');
        const r = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
        return {
          caption: f.querySelector('figcaption') ? f.querySelector('figcaption').textContent : '',
          w: r.width,
          h: r.height,
          cells: svg ? svg.querySelectorAll('rect').length : 0,
        };
      }),
    );
    const names = ['demo_requested × job_level', 'industry × pricing_page_visits'];
    check(
      `a model with pairs: ${maps.length} heat maps (${names.join(', ')}), each at a readable size with a cell per combination`,
      pairsPage.status() === 200 &&
        maps.length === 2 &&
        names.every((n, i) => maps[i].caption.includes(n)) &&
        maps.every((m) => m.w >= 200 && m.h >= 150 && m.cells >= 12),
      JSON.stringify(maps),
    );

    check('no console error or warning, no failed request', problems.length === 0, problems.join(' | '));
    check('nothing is loaded from outside the server', offsite.length === 0, offsite.join(' | '));

  } catch (e) {
    check('the browser session ran to the end', false, e && e.stack ? e.stack : String(e));
  } finally {
    await browser.close();
  }
  console.log(`browser: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
})();
