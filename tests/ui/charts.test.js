// charts.test.js -- renders martlet's SVG charts in headless Chromium and checks what a reader sees:
// axis ticks, the legend's labels, numbers with thousands separators and the currency or unit, every text
// inside the picture, no legend over the plot, no two tick labels or legend entries on top of each other.
// Saves a screenshot of each chart.
//
//   node tests/ui/charts.test.js SPEC.json
//
// SPEC.json: [{"svg": "a.svg", "screenshot": "docs/img/a.png", "legend": ["New customers", ...],
//              "suffix": " ₽", "min_ticks": 3}, ...]
// Exit 0: every check passed; 1: a check failed (one line each on stderr); 77: Chromium cannot start
// (the Criterion test skips then, saying so).
'use strict';

const fs = require('fs');
const path = require('path');
const puppeteer = require('puppeteer-core');

const CHROMIUM = process.env.MARTLET_CHROMIUM || '/usr/bin/chromium';

// What the page shows of the SVG: every text with its box and the plot's extent.
function measure() {
    const svg = document.querySelector('svg');
    const box = (element) => {
        const r = element.getBoundingClientRect();
        const style = getComputedStyle(element);
        return {
            text: element.textContent, x: r.left, y: r.top, right: r.right, bottom: r.bottom,
            visible: r.width > 0 && r.height > 0 && style.visibility !== 'hidden' && style.display !== 'none'
                && Number(style.opacity) > 0 && style.fill !== 'none',
        };
    };
    const all = (selector) => [...svg.querySelectorAll(selector)].map(box);
    return {
        width: Number(svg.getAttribute('width')), height: Number(svg.getAttribute('height')),
        title: all('.title'), legend: all('.legend text'), legendBoxes: all('.legend'), ticks: all('.tick'),
        values: all('.value'), categories: all('.category'), bars: all('.bar'), axisTitle: all('.axis-title'),
        axis: all('.axis'), texts: all('text'),
    };
}

// Whether two boxes overlap (touching edges do not).
function overlap(a, b) {
    return a.x < b.right && b.x < a.right && a.y < b.bottom && b.y < a.bottom;
}

// Every check of one chart; returns the failures as lines.
function check(name, spec, seen) {
    const failures = [];
    const fail = (text) => failures.push(`${name}: ${text}`);
    const inside = (b) => b.x >= 0 && b.y >= 0 && b.right <= seen.width + 0.5 && b.bottom <= seen.height + 0.5;
    for (const text of seen.texts) {
        if (!text.visible) fail(`text '${text.text}' is not visible`);
        if (!inside(text)) fail(`text '${text.text}' leaves the picture (${text.x},${text.y})-(${text.right},${text.bottom})`);
    }
    if (seen.title.length !== 1 || seen.title[0].text.trim() === '') fail('no title');
    const legend = seen.legend.map((t) => t.text);
    if (JSON.stringify(legend) !== JSON.stringify(spec.legend))
        fail(`legend says ${JSON.stringify(legend)}, expected ${JSON.stringify(spec.legend)}`);
    if (seen.ticks.length < (spec.min_ticks || 3)) fail(`only ${seen.ticks.length} axis ticks`);
    for (let i = 1; i < seen.ticks.length; i++)
        if (overlap(seen.ticks[i - 1], seen.ticks[i])) fail(`tick labels '${seen.ticks[i - 1].text}' and '${seen.ticks[i].text}' overlap`);
    for (let i = 0; i < seen.legendBoxes.length; i++)
        for (let j = i + 1; j < seen.legendBoxes.length; j++)
            if (overlap(seen.legendBoxes[i], seen.legendBoxes[j])) fail(`legend entries ${i} and ${j} overlap`);
    const plotTop = Math.min(...seen.bars.map((b) => b.y), ...seen.axis.map((a) => a.y));
    for (const entry of seen.legendBoxes)
        if (entry.bottom > plotTop) fail(`legend entry reaches into the plot (bottom ${entry.bottom} > plot top ${plotTop})`);
    const suffix = spec.suffix || '';
    const number = /^-?\d{1,3}(,\d{3})*(\.\d+)?$/;
    for (const t of [...seen.ticks, ...seen.values]) {
        if (!t.text.endsWith(suffix)) { fail(`'${t.text}' lacks '${suffix}'`); continue; }
        const digits = t.text.slice(0, t.text.length - suffix.length);
        if (!number.test(digits)) fail(`'${t.text}' is not a number with thousands separators`);
    }
    if (spec.thousands && ![...seen.ticks, ...seen.values].some((t) => /\d,\d{3}/.test(t.text)))
        fail('no number shows a thousands separator');
    const plotLeft = Math.min(...seen.bars.map((b) => b.x));
    for (const c of seen.categories)
        if (c.right > plotLeft + 0.5) fail(`category label '${c.text}' runs into the bars`);
    if (spec.axis_title && (seen.axisTitle.length !== 1 || seen.axisTitle[0].text !== spec.axis_title))
        fail(`axis title is ${JSON.stringify(seen.axisTitle.map((t) => t.text))}, expected '${spec.axis_title}'`);
    return failures;
}

async function main() {
    const specs = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
    let browser;
    try {
        browser = await puppeteer.launch({
            executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'],
        });
    } catch (error) {
        console.log(`SKIP: chromium cannot start (${CHROMIUM}): ${String(error.message).split('\n')[0]}`);
        process.exit(77);
    }
    const failures = [];
    try {
        const page = await browser.newPage();
        for (const spec of specs) {
            const svg = fs.readFileSync(spec.svg, 'utf8');
            const name = path.basename(spec.svg);
            await page.setContent(`<!doctype html><html><head><meta charset="utf-8"><style>body{margin:0}</style></head>`
                + `<body>${svg}</body></html>`);
            const size = await page.evaluate(() => {
                const s = document.querySelector('svg');
                return {width: Number(s.getAttribute('width')), height: Number(s.getAttribute('height'))};
            });
            await page.setViewport({width: size.width, height: size.height});
            const seen = await page.evaluate(measure);
            failures.push(...check(name, spec, seen));
            if (spec.screenshot) {
                fs.mkdirSync(path.dirname(spec.screenshot), {recursive: true});
                await page.screenshot({path: spec.screenshot, clip: {x: 0, y: 0, width: size.width, height: size.height}});
            }
            console.log(`${name}: ${seen.ticks.length} ticks (${seen.ticks.map((t) => t.text).join(' | ')}), `
                + `legend ${JSON.stringify(seen.legend.map((t) => t.text))}, ${seen.bars.length} bars`);
        }
    } finally {
        await browser.close();
    }
    for (const line of failures) console.error(line);
    process.exit(failures.length ? 1 : 0);
}

main().catch((error) => {
    console.error(`charts.test.js: ${error.stack || error}`);
    process.exit(1);
});
