// Renders the BitOnnx report's plots from the JSON in #report-data. Every div[data-plot] names a renderer and a
// model index. When all plots are drawn, <html> carries data-plots-expected / data-plots-rendered /
// data-plot-errors / data-report-ready, so a headless browser can check the page without reading pixels.
(function () {
  'use strict';

  var root = document.documentElement;
  var status = { expected: 0, rendered: 0, errors: [] };

  function publish(done) {
    root.setAttribute('data-plots-expected', String(status.expected));
    root.setAttribute('data-plots-rendered', String(status.rendered));
    root.setAttribute('data-plot-errors', status.errors.join(' | '));
    if (done) root.setAttribute('data-report-ready', 'true');
    if (status.errors.length) {
      var banner = document.getElementById('report-errors');
      if (!banner) {
        banner = document.createElement('div');
        banner.id = 'report-errors';
        banner.className = 'error-banner';
        var main = document.querySelector('main');
        main.insertBefore(banner, main.firstChild);
      }
      banner.textContent = 'Some plots failed: ' + status.errors.join(' | ');
    }
  }

  window.addEventListener('error', function (e) {
    status.errors.push('script error: ' + e.message);
    publish(false);
  });
  var consoleError = console.error;
  console.error = function () {
    status.errors.push('console.error: ' + Array.prototype.map.call(arguments, String).join(' '));
    publish(false);
    consoleError.apply(console, arguments);
  };

  // Diverging (ColorBrewer RdBu: blue negative, white at 0, red positive) only where the sign matters; a quantity that
  // is never negative gets a sequential scale (Viridis) from its smallest to its largest value.
  var RDBU = [[0, '#053061'], [0.1, '#2166ac'], [0.2, '#4393c3'], [0.3, '#92c5de'], [0.4, '#d1e5f0'], [0.5, '#f7f7f7'],
    [0.6, '#fddbc7'], [0.7, '#f4a582'], [0.8, '#d6604d'], [0.9, '#b2182b'], [1, '#67001f']];
  var INK = '#1c2733', MUTED = '#5b6875', GRID = '#eef1f4', AXIS = '#c9d1da';
  var TRAIN = '#2f6db5', TEST = '#d0543f', RESTRICTED = '#2a9d8f', EXCLUDED = '#c9a227', KEY = '#d0543f', PLAIN = '#7f9cc0';
  var FONT = { family: '-apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif', size: 12, color: INK };
  var CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ['lasso2d', 'select2d'] };

  var data = JSON.parse(document.getElementById('report-data').textContent);
  var models = data.models;

  document.querySelectorAll('.chip[data-model] .dot, .swatch[data-model]').forEach(function (el) {
    var holder = el.hasAttribute('data-model') ? el : el.parentElement;
    var m = models[Number(holder.getAttribute('data-model'))];
    if (m) el.style.background = m.color;
  });

  // ---------------------------------------------------------------- helpers

  function grid(flat, p) {
    var z = new Array(p);
    for (var i = 0; i < p; i++) z[i] = flat.slice(i * p, (i + 1) * p);
    return z;
  }

  function extent(flat) {
    var lo = Infinity, hi = -Infinity;
    for (var i = 0; i < flat.length; i++) {
      var v = flat[i];
      if (v === null || !isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    return lo <= hi ? [lo, hi] : [0, 1];
  }

  function positive(values) {
    return values.map(function (v) { return v !== null && v > 0 ? v : null; });
  }

  function range(n) {
    var r = new Array(n);
    for (var i = 0; i < n; i++) r[i] = i;
    return r;
  }

  // The card's title sits in HTML above the plot, clear of Plotly's mode bar.
  function header(div, m, html, sub) {
    var card = div.parentElement;
    var head = card.querySelector('.card-head');
    if (!head) {
      head = document.createElement('figcaption');
      head.className = 'card-head';
      card.insertBefore(head, div);
    }
    head.innerHTML = (m ? '<span class="dot" style="background:' + m.color + '"></span><b>' + escapeHtml(m.name) + '</b> \u00B7 ' : '') +
      html + (sub ? '<span class="sub">' + sub + '</span>' : '');
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"]/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]; });
  }

  function axis(title, extra) {
    var a = { title: { text: title, font: { size: 12, color: MUTED } }, gridcolor: GRID, zeroline: false, linecolor: AXIS,
      ticks: 'outside', tickcolor: AXIS, ticklen: 4, automargin: true };
    return Object.assign(a, extra || {});
  }

  function layout(xTitle, yTitle, extra) {
    return Object.assign({
      font: FONT, paper_bgcolor: '#ffffff', plot_bgcolor: '#ffffff', height: 360,
      margin: { l: 64, r: 20, t: 28, b: 56 },
      xaxis: axis(xTitle), yaxis: axis(yTitle),
      legend: { orientation: 'h', x: 0, y: -0.22, font: { size: 11 } },
      hoverlabel: { font: { family: FONT.family, size: 12 } }
    }, extra || {});
  }

  // o.signed: the quantity's sign matters (scores, logits), so 0 is white and the scale symmetric; otherwise the scale
  // runs over the data's own range. Each trace records both ranges for the page check (zRange, dataRange).
  function heatmapTrace(flat, p, o) {
    var e = extent(flat);
    var trace = {
      type: 'heatmap', z: grid(flat, p), x: o.x || range(p), y: o.y || range(p), visible: o.visible !== false,
      colorbar: { thickness: 11, len: 0.86, outlinewidth: 0, tickfont: { size: 10 }, title: { text: o.zTitle, side: 'right', font: { size: 11, color: MUTED } } },
      hovertemplate: o.hover + '<extra></extra>'
    };
    if (o.signed) {
      var m = Math.max(Math.abs(e[0]), Math.abs(e[1])) || 1;
      Object.assign(trace, { zmin: -m, zmax: m, zmid: 0, colorscale: RDBU });
    } else {
      Object.assign(trace, { zmin: e[0], zmax: e[1] > e[0] ? e[1] : e[0] + 1, colorscale: 'Viridis' });
    }
    trace.meta = { signed: !!o.signed, zRange: [trace.zmin, trace.zmax], dataRange: e };
    return trace;
  }

  // Records, on the plot's div, the colour range and data range of each heatmap it holds: a headless browser reads
  // them to check that every scale spans its data.
  function recordScales(div, traces) {
    var scales = traces.filter(function (t) { return t.type === 'heatmap'; }).map(function (t) {
      return (t.meta.signed ? 'signed' : 'sequential') + ':' + t.meta.zRange.join(',') + ':' + t.meta.dataRange.join(',');
    });
    if (scales.length) div.setAttribute('data-color-scales', scales.join(' '));
  }

  function heatmapLayout(xTitle, yTitle, names) {
    var lay = layout(xTitle, yTitle, { height: 420, margin: { l: 70, r: 12, t: 40, b: 64 } });
    lay.xaxis = axis(xTitle, { showgrid: false, constrain: 'domain', ticks: '' });
    lay.yaxis = axis(yTitle, { showgrid: false, autorange: 'reversed', scaleanchor: 'x', constrain: 'domain', ticks: '' });
    if (names) {
      // Basis rows as categories (hover shows "cos 17"); ticks at the constant and every 10th frequency's cosine.
      var ticks = names.filter(function (n, i) { return i === 0 || (n.indexOf('cos ') === 0 && Number(n.slice(4)) % 10 === 0); });
      [lay.xaxis, lay.yaxis].forEach(function (ax) {
        ax.type = 'category';
        ax.tickmode = 'array';
        ax.tickvals = ticks;
        ax.ticktext = ticks;
        ax.tickfont = { size: 10 };
      });
      lay.xaxis.tickangle = -45;
    }
    return lay;
  }

  // Several heatmaps in one plot, one visible at a time, chosen from a menu; the card title follows the menu.
  function heatmapSet(div, m, maps, labels, titles, o) {
    var traces = maps.map(function (flat, i) { return heatmapTrace(flat, m.p, Object.assign({}, o, { visible: i === 0 })); });
    var lay = heatmapLayout(o.xTitle, o.yTitle, o.names);
    header(div, m, titles[0]);
    if (maps.length > 1) {
      lay.margin.t = 48;
      lay.updatemenus = [{
        type: 'dropdown', direction: 'down', showactive: true, x: 0, xanchor: 'left', y: 1.02, yanchor: 'bottom',
        bgcolor: '#ffffff', bordercolor: AXIS, font: { size: 11 }, pad: { l: 0, t: 0 },
        buttons: maps.map(function (_, i) {
          return { label: labels[i], method: 'restyle', args: ['visible', maps.map(function (_, j) { return j === i; })] };
        })
      }];
    }
    return draw(div, traces, lay).then(function () {
      div.on('plotly_buttonclicked', function (e) { header(div, m, titles[e.active]); });
    });
  }

  function addPhases(lay, phases, epochs) {
    if (!phases || !epochs || epochs.length === 0) return;
    var first = epochs[0], last = epochs[epochs.length - 1];
    var bands = [];
    if (phases.memorizationEnd !== null) bands.push([first, phases.memorizationEnd, 'memorisation', 'rgba(47,109,181,0.08)']);
    if (phases.memorizationEnd !== null && phases.cleanupStart !== null) bands.push([phases.memorizationEnd, phases.cleanupStart, 'circuit formation', 'rgba(201,162,39,0.12)']);
    if (phases.cleanupStart !== null) bands.push([phases.cleanupStart, phases.cleanupEnd !== null ? phases.cleanupEnd : last, 'cleanup', 'rgba(42,157,143,0.12)']);
    lay.shapes = (lay.shapes || []).concat(bands.map(function (b) {
      return { type: 'rect', xref: 'x', yref: 'paper', x0: b[0], x1: b[1], y0: 0, y1: 1, fillcolor: b[3], line: { width: 0 }, layer: 'below' };
    }));
    lay.annotations = (lay.annotations || []).concat(bands.map(function (b, i) {
      return { xref: 'x', yref: 'paper', x: (b[0] + b[1]) / 2, y: i % 2 === 0 ? 0.99 : 0.92, yanchor: 'top', text: b[2], showarrow: false,
        font: { size: 10, color: MUTED }, bgcolor: 'rgba(255,255,255,0.6)' };
    }));
  }

  var pending = [];

  function draw(div, traces, lay) {
    recordScales(div, traces);
    var done = Plotly.newPlot(div, traces, lay, CONFIG).then(function () {
      status.rendered++;
      div.classList.add('rendered');
    });
    pending.push(done);
    return done;
  }

  // A figure that is not Plotly's (a section's own SVG, a table): counted as drawn once it is in the page.
  function show(div, html) {
    div.innerHTML = html;
    status.rendered++;
    div.classList.add('rendered');
    return Promise.resolve();
  }

  // ---------------------------------------------------------------- renderers

  var renderers = {
    loss: function (div, m) {
      var c = m.loss;
      header(div, m, 'train and test loss');
      var lay = layout('epoch', 'cross-entropy loss (log scale)');
      lay.yaxis.type = 'log';
      lay.yaxis.exponentformat = 'power';
      addPhases(lay, m.phases, c.epochs);
      return draw(div, [
        { x: c.epochs, y: positive(c.train), name: 'train', mode: 'lines', line: { color: TRAIN, width: 2 } },
        { x: c.epochs, y: positive(c.test), name: 'test', mode: 'lines', line: { color: TEST, width: 2 } }
      ], lay);
    },

    // One bar per frequency: the norm the key-frequency threshold is computed on, so the dotted line and the bars that
    // cross it are the same quantity; the cos and sin parts are in the hover.
    embedding: function (div, m) {
      var e = m.embedding, p = m.p, nf = e.frequencyNorms.length;
      var keys = {};
      e.keyFrequencies.forEach(function (f) { keys[f] = true; });
      var f = [], parts = [], colors = [];
      for (var k = 1; k <= nf; k++) {
        var nyquist = p % 2 === 0 && k === p / 2;
        f.push(k);
        parts.push([e.rowNorms[nyquist ? p - 1 : 2 * k - 1], nyquist ? 0 : e.rowNorms[2 * k]]);
        colors.push(keys[k] ? KEY : PLAIN);
      }
      header(div, m, '\u2016F\u00B7W<sub>E</sub>[:P]\u2016 per frequency',
        'key frequencies: ' + (e.keyFrequencies.length ? e.keyFrequencies.join(', ') : (m.learned ? 'none' : 'not claimed (the model has not learned the task)')) +
        ' \u00B7 by neuron clusters: ' + (e.neuronKeyFrequencies.length ? e.neuronKeyFrequencies.join(', ') : 'none'));
      var lay = layout('frequency f', '\u221A(\u2016cos\u2016\u00B2 + \u2016sin\u2016\u00B2)', { bargap: 0.2 });
      lay.xaxis.range = [0, nf + 1];
      lay.annotations = e.keyFrequencies.map(function (k) {
        return { x: k, y: e.frequencyNorms[k - 1], text: String(k), showarrow: false, yanchor: 'bottom', font: { size: 11, color: KEY } };
      });
      lay.shapes = [{ type: 'line', xref: 'paper', x0: 0, x1: 1, y0: e.threshold, y1: e.threshold, line: { color: MUTED, width: 1, dash: 'dot' } }];
      var traces = [{ type: 'bar', x: f, y: e.frequencyNorms, width: 0.8, name: 'frequency norm', marker: { color: colors }, customdata: parts,
        hovertemplate: 'f = %{x}: %{y:.4g} (cos %{customdata[0]:.3g}, sin %{customdata[1]:.3g})<extra></extra>' }];
      if (e.neuronKeyFrequencies.length) {
        traces.push({ type: 'scatter', mode: 'markers', x: e.neuronKeyFrequencies, y: e.neuronKeyFrequencies.map(function () { return 0; }),
          name: 'key by neuron clusters', cliponaxis: false, marker: { symbol: 'triangle-up', size: 9, color: INK },
          hovertemplate: 'key frequency %{x} (neuron clusters)<extra></extra>' });
      }
      return draw(div, traces, lay);
    },

    attention: function (div, m) {
      var a = m.attention;
      var what = a.quantity === 'pattern' ? 'attention pattern' : 'attention score';
      return heatmapSet(div, m, a.heads,
        a.heads.map(function (_, h) { return 'head ' + h; }),
        a.heads.map(function (_, h) { return what + ' from = to a, head ' + h; }),
        { xTitle: 'b', yTitle: 'a', zTitle: a.quantity, hover: 'a=%{y}, b=%{x}<br>' + a.quantity + ' %{z:.4g}', signed: a.quantity !== 'pattern' });
    },

    neuron: function (div, m) {
      var shown = m.neurons.shown;
      return heatmapSet(div, m, shown.map(function (n) { return n.activation; }),
        shown.map(function (n) { return 'neuron ' + n.neuron; }),
        shown.map(function (n) { return 'activation of neuron ' + n.neuron + ' at ='; }),
        { xTitle: 'b', yTitle: 'a', zTitle: 'activation', hover: 'a=%{y}, b=%{x}<br>activation %{z:.4g}' });
    },

    neuronFourier: function (div, m) {
      var shown = m.neurons.shown;
      return heatmapSet(div, m, shown.map(function (n) { return n.fourier; }),
        shown.map(function (n) { return 'neuron ' + n.neuron; }),
        shown.map(function (n) {
          var fve = n.bestFve === null ? 'dead neuron' : 'best f = ' + n.bestFrequency + ', FVE ' + n.bestFve.toFixed(3);
          return '2-D Fourier norms |\u00C2| of neuron ' + n.neuron + ' <span class="muted">(' + fve + ')</span>';
        }),
        { names: m.basisNames, x: m.basisNames, y: m.basisNames, xTitle: 'component over b', yTitle: 'component over a',
          zTitle: '|\u00C2|', hover: '%{y} \u00D7 %{x}<br>|\u00C2| %{z:.4g}' });
    },

    logitFourier: function (div, m) {
      var top = m.logits.top;
      var share = top.slice(0, 10).reduce(function (s, c) { return s + (c.fraction || 0); }, 0);
      header(div, m, 'logit 2-D Fourier norms', 'largest: ' + top.slice(0, 4).map(function (c) { return c.y + ' \u00D7 ' + c.x; }).join(', ') +
        ' \u00B7 top 10 hold ' + (100 * share).toFixed(1) + '% of the variance');
      var trace = heatmapTrace(m.logits.fourierNorms, m.p, { x: m.basisNames, y: m.basisNames, zTitle: 'norm',
        hover: '%{y} \u00D7 %{x}<br>norm %{z:.4g}' });
      return draw(div, [trace], heatmapLayout('component over b', 'component over a', m.basisNames));
    },

    fve: function (div, m) {
      var h = m.neurons.fveHistogram, s = m.neurons.stats;
      var width = (h.max - h.min) / h.counts.length;
      var x = h.counts.map(function (_, i) { return h.min + (i + 0.5) * width; });
      header(div, m, 'best FVE per neuron', 'median ' + (s.median === null ? '\u2014' : s.median.toFixed(3)) + ' \u00B7 ' +
        (s.fractionAbove085 === null ? '\u2014' : (100 * s.fractionAbove085).toFixed(1)) + '% of neurons \u2265 0.85' +
        (s.dead ? ' \u00B7 ' + s.dead + ' dead' : ''));
      var lay = layout('fraction of variance explained by one frequency', 'neurons', { bargap: 0.04 });
      lay.xaxis.range = [h.min, h.max];
      lay.shapes = [{ type: 'line', x0: 0.85, x1: 0.85, yref: 'paper', y0: 0, y1: 1, line: { color: MUTED, width: 1, dash: 'dash' } }];
      lay.annotations = [{ x: 0.85, yref: 'paper', y: 1, xanchor: 'right', yanchor: 'top', text: '0.85 ', showarrow: false, font: { size: 10, color: MUTED } }];
      return draw(div, [{ type: 'bar', x: x, y: h.counts, width: width * 0.96, marker: { color: m.color }, name: 'neurons',
        hovertemplate: 'FVE %{x:.2f}: %{y} neurons<extra></extra>' }], lay);
    },

    clusters: function (div, m) {
      var n = m.neurons, keys = {};
      n.keyFrequencies.forEach(function (f) { keys[f] = true; });
      header(div, m, 'neurons clustered by best frequency', n.unclustered + ' neurons below FVE 0.5 \u00B7 key (red): ' +
        (n.keyFrequencies.length ? n.keyFrequencies.join(', ') : 'none'));
      var lay = layout('frequency f', 'neurons');
      lay.xaxis.range = [0, Math.floor(m.p / 2) + 1];
      // Bars 0.8 of a frequency wide, at their frequency: a cluster is one frequency, not a band.
      return draw(div, [{ type: 'bar', x: n.clusterFrequencies, y: n.clusterSizes, width: 0.8, name: 'neurons',
        marker: { color: n.clusterFrequencies.map(function (f) { return keys[f] ? KEY : PLAIN; }) },
        hovertemplate: 'f = %{x}: %{y} neurons<extra></extra>' }], lay);
    },

    progressLoss: function (div, m) {
      var s = m.progress;
      header(div, m, 'restricted and excluded loss', 'key frequencies ' + s.keyFrequencies.join(', '));
      var lay = layout('epoch', 'loss (log scale)');
      lay.yaxis.type = 'log';
      lay.yaxis.exponentformat = 'power';
      addPhases(lay, m.phases, s.epochs);
      return draw(div, [
        { x: s.epochs, y: positive(s.train), name: 'train', mode: 'lines', line: { color: TRAIN, width: 1.6 } },
        { x: s.epochs, y: positive(s.test), name: 'test', mode: 'lines', line: { color: TEST, width: 1.6 } },
        { x: s.epochs, y: positive(s.restricted), name: 'restricted', mode: 'lines', line: { color: RESTRICTED, width: 2.6 } },
        { x: s.epochs, y: positive(s.excluded), name: 'excluded', mode: 'lines', line: { color: EXCLUDED, width: 2.6 } }
      ], lay);
    },

    progressWeights: function (div, m) {
      var s = m.progress;
      header(div, m, 'Fourier sparsity (Gini) and total \u03A3 w\u00B2');
      var lay = layout('epoch', 'Gini coefficient');
      lay.yaxis.range = [0, 1];
      lay.yaxis2 = axis('\u03A3 w\u00B2', { overlaying: 'y', side: 'right', showgrid: false, rangemode: 'tozero' });
      lay.margin.r = 64;
      addPhases(lay, m.phases, s.epochs);
      return draw(div, [
        { x: s.epochs, y: s.giniEmbedding, name: 'Gini \u2016F\u00B7W<sub>E</sub>\u2016', mode: 'lines', line: { color: '#7b5ea7', width: 2.2 } },
        { x: s.epochs, y: s.giniNeuronLogit, name: 'Gini \u2016W<sub>L</sub>\u00B7F\u1D40\u2016', mode: 'lines', line: { color: '#2a9d8f', width: 2.2 } },
        { x: s.epochs, y: s.sumSquaredWeights, name: '\u03A3 w\u00B2 (right)', mode: 'lines', yaxis: 'y2', line: { color: '#5b6770', width: 1.6, dash: 'dot' } }
      ], lay);
    },

    correctLogits: function (div, m) {
      var c = m.clockPizza;
      var q = c.distanceIrrelevance === null ? '\u2014' : c.distanceIrrelevance.toFixed(3);
      header(div, m, 'logit of the correct answer', 'distance irrelevance q = ' + q + ' \u00B7 verdict: ' + c.verdict);
      var trace = heatmapTrace(c.correctLogits, m.p, { signed: true, zTitle: 'correct logit', hover: 'a+b\u2261%{y}, a\u2212b\u2261%{x}<br>correct logit %{z:.4g}' });
      return draw(div, [trace], heatmapLayout('(a \u2212 b) mod P', '(a + b) mod P', null));
    },

    clockPizza: function (div) {
      var t = data.thresholds;
      var withBoth = models.filter(function (m) { return m.clockPizza && m.clockPizza.gradientSymmetricity !== null && m.clockPizza.distanceIrrelevance !== null; });
      var onlyQ = models.filter(function (m) { return m.clockPizza && m.clockPizza.gradientSymmetricity === null && m.clockPizza.distanceIrrelevance !== null; });
      header(div, null, 'Distance irrelevance vs gradient symmetricity',
        'shaded: pizza-like (q \u2264 ' + t.distanceIrrelevance + ', s<sub>g</sub> \u2265 ' + t.gradientSymmetricity + ') and clock-like regions');
      var traces = withBoth.map(function (m, i) {
        return { type: 'scatter', mode: 'markers+text', x: [m.clockPizza.distanceIrrelevance], y: [m.clockPizza.gradientSymmetricity],
          // Labels point into the plot (away from the axis) and alternate above / below so neighbours do not collide.
          name: m.name, text: [m.name], cliponaxis: false,
          textposition: (i % 2 === 0 ? 'top ' : 'bottom ') + (m.clockPizza.distanceIrrelevance < 0.55 ? 'right' : 'left'),
          marker: { size: 14, color: m.color, line: { color: '#fff', width: 1.5 } },
          hovertemplate: escapeHtml(m.name) + '<br>q %{x:.3f}<br>s<sub>g</sub> %{y:.3f}<extra></extra>' };
      });
      var lay = layout('distance irrelevance q (clock \u2192 1)', 'gradient symmetricity s<sub>g</sub> (pizza \u2192 1)', { height: 400 });
      lay.xaxis.range = [0, 1.1];
      lay.yaxis.range = [-0.25, 1.1];
      lay.shapes = [
        { type: 'rect', x0: 0, x1: t.distanceIrrelevance, y0: t.gradientSymmetricity, y1: 1.1, fillcolor: 'rgba(208,84,63,0.10)', line: { width: 0 }, layer: 'below' },
        { type: 'rect', x0: t.distanceIrrelevance, x1: 1.1, y0: -0.25, y1: t.gradientSymmetricity, fillcolor: 'rgba(47,109,181,0.08)', line: { width: 0 }, layer: 'below' },
        { type: 'line', x0: t.distanceIrrelevance, x1: t.distanceIrrelevance, y0: -0.25, y1: 1.1, line: { color: MUTED, width: 1, dash: 'dot' } },
        { type: 'line', x0: 0, x1: 1.1, y0: t.gradientSymmetricity, y1: t.gradientSymmetricity, line: { color: MUTED, width: 1, dash: 'dot' } }
      ];
      lay.annotations = [
        { x: 0.02, y: 1.08, xanchor: 'left', yanchor: 'top', text: 'pizza', showarrow: false, font: { size: 13, color: '#d0543f' } },
        { x: 1.08, y: -0.23, xanchor: 'right', yanchor: 'bottom', text: 'clock', showarrow: false, font: { size: 13, color: '#2f6db5' } }
      ];
      onlyQ.forEach(function (m) {
        lay.shapes.push({ type: 'line', x0: m.clockPizza.distanceIrrelevance, x1: m.clockPizza.distanceIrrelevance, y0: -0.25, y1: 1.1,
          line: { color: m.color, width: 2, dash: 'dash' } });
        lay.annotations.push({ x: m.clockPizza.distanceIrrelevance, y: 0.45, text: escapeHtml(m.name) + ' (q only)', textangle: -90, showarrow: false,
          xanchor: 'right', font: { size: 11, color: m.color } });
      });
      if (traces.length === 0) traces.push({ type: 'scatter', mode: 'markers', x: [], y: [], showlegend: false });
      return draw(div, traces, lay);
    }
  };

  // ---------------------------------------------------------------- render all

  // Report sections (BitOnnx.Analysis.Sections) add their renderers here from their own scripts, which follow this one;
  // the page calls renderAll after the last of them. A section renderer gets (div, m, data, helpers) with data its own.
  function renderAll() {
    document.querySelectorAll('div.plot[data-plot]').forEach(function (div) {
      status.expected++;
      var kind = div.getAttribute('data-plot');
      var section = div.getAttribute('data-section');
      var m = models[Number(div.getAttribute('data-model'))];
      try {
        if (!renderers[kind]) throw new Error('no renderer for "' + kind + '"');
        var drawn = section ? renderers[kind](div, m, m.sections[section], helpers) : renderers[kind](div, m);
        drawn.catch(function (e) {
          status.errors.push(kind + ': ' + e.message);
          div.classList.add('failed');
        });
      } catch (e) {
        status.errors.push(kind + ': ' + e.message);
        div.classList.add('failed');
        div.textContent = 'Plot "' + kind + '" failed: ' + e.message;
      }
    });
    publish(false);
    Promise.all(pending.map(function (p) { return p.catch(function () {}); })).then(function () { publish(true); });
  }

  var helpers = {
    draw: draw, show: show, layout: layout, axis: axis, header: header, heatmapTrace: heatmapTrace, heatmapSet: heatmapSet,
    heatmapLayout: heatmapLayout, escapeHtml: escapeHtml, range: range, colors: { ink: INK, muted: MUTED, key: KEY, plain: PLAIN, diverging: RDBU }
  };
  window.BitOnnxReport = { renderers: renderers, helpers: helpers, renderAll: renderAll };
})();