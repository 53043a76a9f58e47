/**
 * The report page's own script, inlined after chart.js. It only maps the embedded data
 * (`#squall-data`, see payload.ts) onto chart.js configs: every `<canvas data-chart="name">` names a
 * builder below, `data-index` picks a strategy. Time charts share one window control (start/end
 * sliders, "zoom to fault window" buttons, reset) that sets the x scale's min/max; `window.squall`
 * exposes the charts and `setWindow(fromS, toS)` for tests and for the console.
 *
 * Plain ES2017 in a string (no template literals inside) so it runs as is in any current browser.
 */
export const CLIENT_JS = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('squall-data').textContent);
  var charts = {};
  var timeCharts = [];

  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }
  function applyTheme() {
    Chart.defaults.color = cssVar('--fg-muted');
    Chart.defaults.borderColor = cssVar('--grid');
  }
  applyTheme();
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.elements.point.radius = 0;
  Chart.defaults.elements.point.hitRadius = 4;
  Chart.defaults.elements.line.borderWidth = 1.5;
  Chart.defaults.plugins.legend.labels.boxWidth = 12;
  Chart.defaults.interaction = { mode: 'nearest', axis: 'x', intersect: false };

  function clock(s) {
    var t = Math.max(0, Math.round(s));
    var h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), sec = t % 60;
    var ss = (sec < 10 ? '0' : '') + sec;
    return h > 0 ? h + ':' + (m < 10 ? '0' : '') + m + ':' + ss : m + ':' + ss;
  }
  function alpha(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + a + ')';
  }
  function points(t, ys, scale) {
    var out = new Array(t.length);
    for (var i = 0; i < t.length; i++) {
      var y = ys[i];
      out[i] = { x: t[i], y: y === null || y === undefined ? null : y * (scale || 1) };
    }
    return out;
  }
  function pct(x) { return x === null ? null : x * 100; }
  function positive(x) { return x > 0; }

  // Fault windows behind the data, so every time axis shows when the upstream misbehaved.
  var faultShade = {
    id: 'faultShade',
    beforeDatasetsDraw: function (chart, args, opts) {
      var windows = (opts && opts.windows) || [];
      var x = chart.scales.x, area = chart.chartArea, ctx = chart.ctx;
      ctx.save();
      windows.forEach(function (w) {
        var left = Math.max(area.left, x.getPixelForValue(w.startS));
        var right = Math.min(area.right, x.getPixelForValue(w.endS));
        if (!(right > left)) return;
        ctx.fillStyle = opts.fill;
        ctx.fillRect(left, area.top, right - left, area.bottom - area.top);
        ctx.strokeStyle = opts.edge;
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.moveTo(left, area.top); ctx.lineTo(left, area.bottom);
        ctx.moveTo(right, area.top); ctx.lineTo(right, area.bottom);
        ctx.stroke();
        if (right - left > 36) {
          ctx.fillStyle = opts.edge;
          ctx.font = '11px ' + Chart.defaults.font.family;
          ctx.fillText(w.name, left + 4, area.top + 12);
        }
      });
      ctx.restore();
    }
  };

  // Ticks on whole minutes, 5 minutes, hours… whatever the zoom, instead of chart.js's decimal steps.
  var NICE_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
  function timeTicks(axis) {
    var span = axis.max - axis.min, step = NICE_STEPS[NICE_STEPS.length - 1];
    var most = Math.max(2, Math.min(10, Math.floor((axis.width || 640) / 90)));
    for (var i = 0; i < NICE_STEPS.length; i++) {
      if (span / NICE_STEPS[i] <= most) { step = NICE_STEPS[i]; break; }
    }
    var ticks = [];
    for (var v = Math.ceil(axis.min / step) * step; v <= axis.max + 1e-9; v += step) ticks.push({ value: v });
    axis.ticks = ticks;
  }
  function timeScale(run, title) {
    return {
      type: 'linear', min: 0, max: run.seconds, afterBuildTicks: timeTicks,
      ticks: { callback: function (v) { return clock(v); }, maxRotation: 0 },
      title: { display: !!title, text: title || '' }
    };
  }
  function timeChart(run, datasets, yTitle, extra) {
    var options = {
      parsing: false,
      normalized: true,
      scales: { x: timeScale(run, 'time since start'), y: { beginAtZero: true, title: { display: true, text: yTitle } } },
      plugins: {
        faultShade: { windows: run.faultWindows, fill: data.faultShade, edge: data.faultEdge },
        tooltip: { callbacks: { title: function (items) { return items.length ? clock(items[0].parsed.x) : ''; } } }
      }
    };
    if (extra) extra(options);
    return { time: true, config: { type: 'line', data: { datasets: datasets }, options: options, plugins: [faultShade] } };
  }
  function line(label, color, pts, more) {
    var d = { label: label, data: pts, borderColor: color, backgroundColor: color, spanGaps: false };
    for (var k in more || {}) d[k] = more[k];
    return d;
  }
  function categoryBars(labels, datasets, yTitle, yMax) {
    return {
      config: {
        type: 'bar',
        data: { labels: labels, datasets: datasets },
        options: {
          interaction: { mode: 'index', axis: 'x', intersect: false },
          scales: { y: { beginAtZero: true, max: yMax, title: { display: true, text: yTitle } } },
          plugins: { legend: { display: datasets.length > 1 } }
        }
      }
    };
  }
  var PERCENTILES = [['p50', 'p50'], ['p90', 'p90'], ['p95', 'p95'], ['p99', 'p99'], ['p999', 'p99.9']];
  var SPECTRUM_TICKS = { 1: '0%', 10: '90%', 100: '99%', 1000: '99.9%', 10000: '99.99%' };
  function spectrumChart(datasets) {
    return {
      config: {
        type: 'line',
        data: { datasets: datasets },
        options: {
          parsing: false,
          interaction: { mode: 'nearest', axis: 'x', intersect: false },
          scales: {
            x: {
              type: 'logarithmic', min: 1, max: 10000,
              title: { display: true, text: 'percentile (log scale of 1 / (1 − p))' },
              afterBuildTicks: function (axis) { axis.ticks = [1, 10, 100, 1000, 10000].map(function (v) { return { value: v }; }); },
              ticks: { callback: function (v) { return SPECTRUM_TICKS[v] || ''; } }
            },
            y: { beginAtZero: true, title: { display: true, text: 'latency (ms)' } }
          },
          plugins: { tooltip: { callbacks: { title: function (items) {
            return items.length ? 'p' + (100 - 100 / items[0].parsed.x).toFixed(3).replace(/\.?0+$/, '') : '';
          } } } }
        }
      }
    };
  }
  function spectrumPoints(s) {
    return s.spectrum.map(function (p) { return { x: p[0], y: p[1] }; });
  }

  var builders = {
    'success-by-strategy': function (run) {
      var s = run.strategies;
      var datasets = [{
        label: 'success rate', order: 2,
        data: s.map(function (x) { return pct(x.successRate); }),
        backgroundColor: s.map(function (x) { return x.color; })
      }];
      if (s.some(function (x) { return x.ci; })) {
        datasets.push({
          label: 'confidence interval across seeds', order: 1, grouped: false, barPercentage: 0.2,
          data: s.map(function (x) { return x.ci ? [x.ci.low * 100, x.ci.high * 100] : null; }),
          backgroundColor: cssVar('--ci'), borderColor: cssVar('--fg'), borderWidth: 1
        });
      }
      return categoryBars(s.map(function (x) { return x.name; }), datasets, 'success rate (%)', 100);
    },
    'latency-percentiles': function (run) {
      return categoryBars(PERCENTILES.map(function (p) { return p[1]; }), run.strategies.map(function (s) {
        return { label: s.name, backgroundColor: s.color, data: PERCENTILES.map(function (p) { return s.latency[p[0]]; }) };
      }), 'latency from intended arrival (ms)');
    },
    'spectrum': function (run) {
      return spectrumChart(run.strategies.map(function (s) { return line(s.name, s.color, spectrumPoints(s)); }));
    },
    // Small multiples: one panel per strategy, its line in its colour on top of the others in grey.
    // Overlaid in one chart, strategies at 0% or 100% together hide each other.
    'success-over-time': function (run, i) {
      var me = run.strategies[i], t = run.axis.t, grey = cssVar('--context');
      var datasets = [line(me.name, me.color, points(t, me.series.successRate, 100), { borderWidth: 2, order: 0 })];
      run.strategies.forEach(function (s, j) {
        if (j !== i) datasets.push(line(s.name, grey, points(t, s.series.successRate, 100), { borderWidth: 1, order: 1 }));
      });
      return timeChart(run, datasets, 'success rate (%)', function (o) {
        o.scales.y.max = 100;
        o.plugins.legend = { labels: { filter: function (item) { return item.datasetIndex === 0; } } };
      });
    },
    // Every strategy's panel on one y-scale (suggestedMax: chart.js still picks round ticks), so a
    // strategy that sent five times the attempts looks five times as tall.
    'traffic': function (run, i) {
      var s = run.strategies[i], t = run.axis.t;
      return timeChart(run, [
        line('offered', cssVar('--offered'), points(t, s.series.offered), { borderDash: [5, 4] }),
        line('attempted', s.color, points(t, s.series.attempted)),
        line('succeeded', alpha(s.color, 0.9), points(t, s.series.succeeded), { fill: 'origin', backgroundColor: alpha(s.color, 0.25), borderWidth: 0.5 })
      ], 'per second', function (o) { o.scales.y.suggestedMax = run.scales.trafficPerSec; });
    },
    'failures': function (run, i) {
      var s = run.strategies[i], t = run.axis.t;
      var datasets = run.failureClasses.filter(function (c) { return s.series.failed[c.key]; }).map(function (c) {
        return line(c.label, c.color, points(t, s.series.failed[c.key]), { fill: 'stack', backgroundColor: alpha(c.color, 0.55), borderWidth: 1, stack: 'failures' });
      });
      return timeChart(run, datasets, 'failed requests per second', function (o) {
        o.parsing = true; // stacking needs chart.js to parse
        o.scales.y.stacked = true;
        o.scales.y.suggestedMax = run.scales.failedPerSec;
        if (datasets.length === 0) o.plugins.title = { display: true, text: 'no failed requests' };
      });
    },
    'breaker': function (run) {
      var datasets = [];
      run.strategies.filter(function (s) { return s.series.breakerOpen.some(positive) || s.series.breakerHalfOpen.some(positive); }).forEach(function (s) {
        datasets.push(line(s.name + ' open', s.color, points(run.axis.t, s.series.breakerOpen, 100), { stepped: true }));
        if (s.series.breakerHalfOpen.some(function (v) { return v > 0; })) {
          datasets.push(line(s.name + ' half-open', s.color, points(run.axis.t, s.series.breakerHalfOpen, 100), { stepped: true, borderDash: [3, 3] }));
        }
      });
      return timeChart(run, datasets, '% of the second open', function (o) { o.scales.y.max = 100; });
    },
    'queue': function (run) {
      var datasets = run.strategies.filter(function (s) { return s.series.queueDepth.some(positive); }).map(function (s) {
        return line(s.name, s.color, points(run.axis.t, s.series.queueDepth), { stepped: true });
      });
      return timeChart(run, datasets, 'queue / limiter depth (max per second)');
    },
    'in-flight': function (run) {
      return timeChart(run, run.strategies.map(function (s) {
        return line(s.name, s.color, points(run.axis.t, s.series.inFlight));
      }), 'logical requests in flight (max)');
    },
    'fault-schedule': function (run) {
      var w = run.faultWindows;
      return {
        time: true,
        config: {
          type: 'bar',
          data: {
            labels: w.map(function (x) { return x.name; }),
            datasets: [{
              label: 'fault window', data: w.map(function (x) { return [x.startS, x.endS]; }),
              backgroundColor: data.faultEdge, borderColor: data.faultEdge, borderSkipped: false, barPercentage: 0.6
            }]
          },
          options: {
            indexAxis: 'y',
            scales: { x: timeScale(run, 'time since start') },
            plugins: {
              legend: { display: false },
              tooltip: { callbacks: { label: function (item) {
                var x = w[item.dataIndex];
                return clock(x.startS) + ' – ' + clock(x.endS) + ': ' + x.label;
              } } }
            }
          }
        }
      };
    },
    'alerts': function (run) {
      var labels = [], rows = [];
      run.strategies.forEach(function (s) {
        var rules = [];
        s.alerts.forEach(function (a) { if (rules.indexOf(a.rule) < 0) rules.push(a.rule); });
        rules.forEach(function (rule) {
          labels.push(s.name + ' · ' + rule);
          rows.push({ s: s, firings: s.alerts.filter(function (a) { return a.rule === rule; }) });
        });
      });
      var most = Math.max.apply(null, rows.map(function (r) { return r.firings.length; }).concat([0]));
      var datasets = [];
      for (var k = 0; k < most; k++) {
        datasets.push({
          label: 'firing', grouped: false, borderSkipped: false, barPercentage: 0.7,
          data: rows.map(function (r) { var f = r.firings[k]; return f ? [f.fromS, f.toS === null ? run.seconds : f.toS] : null; }),
          backgroundColor: rows.map(function (r) { var f = r.firings[k]; return f && f.severity === 'page' ? r.s.color : alpha(r.s.color, 0.45); }),
          borderColor: rows.map(function (r) { return r.s.color; }), borderWidth: 1
        });
      }
      return {
        time: true,
        config: {
          type: 'bar',
          data: { labels: labels, datasets: datasets },
          options: {
            indexAxis: 'y',
            scales: { x: timeScale(run, 'time since start') },
            plugins: {
              legend: { display: false },
              faultShade: { windows: run.faultWindows, fill: data.faultShade, edge: data.faultEdge },
              tooltip: { callbacks: { label: function (item) {
                var v = item.raw;
                return v ? 'fired ' + clock(v[0]) + ', cleared ' + clock(v[1]) : '';
              } } }
            }
          },
          plugins: [faultShade]
        }
      };
    },

    // Compare page: baseline drawn faint or dashed, candidate solid, both in the strategy's colour.
    'cmp-bars': function (cmp, i, canvas) {
      var field = canvas.getAttribute('data-field'), scale = Number(canvas.getAttribute('data-scale') || 1);
      function value(s) {
        var v = field.indexOf('latency.') === 0 ? s.latency[field.slice(8)] : s[field];
        return v === null || v === undefined ? null : v * scale;
      }
      var p = cmp.pairs;
      return categoryBars(p.map(function (x) { return x.name; }), [
        { label: 'baseline', data: p.map(function (x) { return value(cmp.baseline.strategies[x.b]); }),
          backgroundColor: p.map(function (x) { return alpha(x.color, 0.35); }), borderColor: p.map(function (x) { return x.color; }), borderWidth: 1 },
        { label: 'candidate', data: p.map(function (x) { return value(cmp.candidate.strategies[x.c]); }),
          backgroundColor: p.map(function (x) { return x.color; }) }
      ], canvas.getAttribute('data-y-title'), field === 'successRate' ? 100 : undefined);
    },
    'cmp-spectrum': function (cmp) {
      var datasets = [];
      cmp.pairs.forEach(function (x) {
        datasets.push(line(x.name + ' (baseline)', x.color, spectrumPoints(cmp.baseline.strategies[x.b]), { borderDash: [5, 4] }));
        datasets.push(line(x.name + ' (candidate)', x.color, spectrumPoints(cmp.candidate.strategies[x.c])));
      });
      return spectrumChart(datasets);
    },
    'cmp-success-over-time': function (cmp) {
      var datasets = [], b = cmp.baseline, c = cmp.candidate;
      cmp.pairs.forEach(function (x) {
        datasets.push(line(x.name + ' (baseline)', x.color, points(b.axis.t, b.strategies[x.b].series.successRate, 100), { borderDash: [5, 4] }));
        datasets.push(line(x.name + ' (candidate)', x.color, points(c.axis.t, c.strategies[x.c].series.successRate, 100)));
      });
      var longer = b.seconds > c.seconds ? b : c;
      return timeChart({ seconds: longer.seconds, faultWindows: c.faultWindows }, datasets, 'success rate (%)', function (o) { o.scales.y.max = 100; });
    }
  };

  var payload = data.kind === 'compare' ? data : data.run;
  document.querySelectorAll('canvas[data-chart]').forEach(function (canvas) {
    var name = canvas.getAttribute('data-chart');
    var built = builders[name](payload, Number(canvas.getAttribute('data-index') || 0), canvas);
    var chart = new Chart(canvas, built.config);
    charts[canvas.id] = chart;
    if (built.time) timeCharts.push(chart);
  });

  // One time window for every time chart.
  var seconds = data.kind === 'compare' ? Math.max(data.baseline.seconds, data.candidate.seconds) : data.run.seconds;
  var startInput = document.getElementById('zoom-start');
  var endInput = document.getElementById('zoom-end');
  var shown = document.getElementById('zoom-shown');
  function setWindow(fromS, toS) {
    var from = Math.max(0, Math.min(fromS, seconds - 1));
    var to = Math.min(seconds, Math.max(toS, from + 1));
    timeCharts.forEach(function (c) {
      c.options.scales.x.min = from;
      c.options.scales.x.max = to;
      c.update('none');
    });
    if (startInput) { startInput.value = String(from); endInput.value = String(to); }
    if (shown) shown.value = clock(from) + ' – ' + clock(to);
  }
  if (startInput && endInput) {
    startInput.addEventListener('input', function () { setWindow(Number(startInput.value), Math.max(Number(endInput.value), Number(startInput.value) + 1)); });
    endInput.addEventListener('input', function () { setWindow(Math.min(Number(startInput.value), Number(endInput.value) - 1), Number(endInput.value)); });
  }
  document.querySelectorAll('button[data-zoom-from]').forEach(function (b) {
    b.addEventListener('click', function () { setWindow(Number(b.getAttribute('data-zoom-from')), Number(b.getAttribute('data-zoom-to'))); });
  });
  var reset = document.getElementById('zoom-reset');
  if (reset) reset.addEventListener('click', function () { setWindow(0, seconds); });
  if (shown) shown.value = clock(0) + ' – ' + clock(seconds);

  if (window.matchMedia) {
    window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', function () {
      applyTheme();
      Object.keys(charts).forEach(function (id) { charts[id].update('none'); });
    });
  }
  window.squall = { charts: charts, timeCharts: timeCharts, setWindow: setWindow, seconds: seconds };
})();
`;
