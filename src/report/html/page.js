// Renders the report's charts with vega-embed (inlined after this script) and records the
// outcome twice: for people, a failed chart is replaced by its error message; for the tests
// (tests/html), each chart element gets data-np-status and #np-render-status gets a JSON record
// of every chart and of any page error. It runs before the libraries so that it sees their
// errors too.
(function () {
  'use strict';

  const record = {done: false, errors: [], charts: [], resources: 0};

  function publish() {
    const element = document.getElementById('np-render-status');
    if (element) element.textContent = JSON.stringify(record);
  }

  function pageError(message) {
    record.errors.push(String(message));
    publish();
  }

  window.addEventListener('error', (event) => {
    pageError('error: ' + event.message + (event.lineno ? ' (line ' + event.lineno + ')' : ''));
  });
  window.addEventListener('unhandledrejection', (event) => {
    pageError('unhandled rejection: ' + event.reason);
  });
  document.addEventListener('securitypolicyviolation', (event) => {
    pageError('blocked by the page\'s policy (' + event.violatedDirective + '): ' + event.blockedURI);
  });

  const theme = {
    font: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
    view: {stroke: null},
    axis: {
      labelColor: '#444', titleColor: '#222', titleFontWeight: 600, titleFontSize: 12,
      labelFontSize: 11, gridColor: '#e8e8e8', domainColor: '#999', tickColor: '#999',
    },
    legend: {labelFontSize: 11, titleFontSize: 12, titleFontWeight: 600, labelLimit: 240},
    header: {labelFontSize: 12, titleFontSize: 12},
    title: {fontSize: 13, fontWeight: 600, anchor: 'start', color: '#222'},
    bar: {cornerRadiusEnd: 1},
  };

  // A Vega logger that keeps what it is told about one chart: a warning usually means a field
  // name or a type in the spec is wrong, so the tests treat it as a failure.
  function chartLogger(chart) {
    let level = 2;  // vega.Warn
    const logger = {
      level(value) {
        if (value === undefined) return level;
        level = value;
        return logger;
      },
      error(...args) {
        chart.errors.push(args.map(String).join(' '));
        return logger;
      },
      warn(...args) {
        chart.warnings.push(args.map(String).join(' '));
        return logger;
      },
      info() { return logger; },
      debug() { return logger; },
    };
    return logger;
  }

  // Items drawn by the data marks (bars, points, labels, rules), not by axes or legends; the
  // items with a tooltip, the tooltip values that say a value is missing ("not predicted") and
  // those that show one as NaN, undefined or null.
  function countItems(scene, counts) {
    if (!scene) return;
    if (scene.marktype && scene.role === 'mark' && scene.marktype !== 'group') {
      const items = scene.items || [];
      counts.items[scene.marktype] = (counts.items[scene.marktype] || 0) + items.length;
      for (const item of items) {
        const tooltip = item.tooltip;
        if (tooltip && typeof tooltip === 'object') {
          counts.tooltips += 1;
          for (const value of Object.values(tooltip)) {
            if (/^not (predicted|measured)$/.test(String(value))) counts.missingShown += 1;
            if (value === undefined || value === null ||
                /(^|\s)(NaN|undefined|null)(\s|$)/.test(String(value))) {
              counts.badTooltips += 1;
            }
          }
        }
      }
    }
    for (const item of scene.items || []) countItems(item, counts);
  }

  function showError(element, message) {
    element.textContent = '';
    const box = document.createElement('p');
    box.className = 'np-chart-error';
    box.textContent = 'This chart could not be drawn: ' + message;
    element.appendChild(box);
  }

  async function renderChart(entry) {
    const element = document.getElementById(entry.id);
    const chart = {id: entry.id, status: 'error', width: 0, height: 0, items: {}, tooltips: 0,
                   missing_shown: 0, bad_tooltips: 0, warnings: [], errors: []};
    record.charts.push(chart);
    try {
      if (typeof vegaEmbed !== 'function') throw new Error('vega-embed did not load');
      const result = await vegaEmbed(element, entry.spec, {
        renderer: 'svg',
        ast: true,  // Vega's expression interpreter: the page's policy allows no eval
        actions: {export: true, source: false, compiled: false, editor: false},
        downloadFileName: entry.file,
        config: theme,
        logger: chartLogger(chart),
      });
      await result.view.runAsync();
      const svg = element.querySelector('svg');
      if (svg) {
        chart.width = svg.width.baseVal.value;
        chart.height = svg.height.baseVal.value;
      }
      const counts = {items: {}, tooltips: 0, missingShown: 0, badTooltips: 0};
      countItems(result.view.scenegraph().root, counts);
      chart.items = counts.items;
      chart.tooltips = counts.tooltips;
      chart.missing_shown = counts.missingShown;
      chart.bad_tooltips = counts.badTooltips;
      const drawn = Object.values(chart.items).reduce((a, b) => a + b, 0);
      if (chart.errors.length) {
        showError(element, chart.errors.join('; '));
      } else if (chart.width > 0 && chart.height > 0 && drawn > 0) {
        chart.status = 'ok';
      } else {
        chart.status = 'empty';
        showError(element, 'nothing was drawn');
      }
    } catch (error) {
      chart.errors.push(String(error && error.message ? error.message : error));
      showError(element, chart.errors[chart.errors.length - 1]);
    }
    element.dataset.npStatus = chart.status;
    publish();
  }

  async function renderAll() {
    const source = document.getElementById('np-chart-specs');
    try {
      const entries = JSON.parse(source ? source.textContent : '[]');
      for (const entry of entries) await renderChart(entry);
    } catch (error) {
      pageError('reading the chart specs: ' + error);
    }
    record.resources = performance.getEntriesByType('resource').length;
    record.page_height = document.documentElement.scrollHeight;  // for full-page screenshots
    record.done = true;
    document.documentElement.dataset.npRendered = 'done';
    publish();
  }

  document.addEventListener('DOMContentLoaded', renderAll);
})();
