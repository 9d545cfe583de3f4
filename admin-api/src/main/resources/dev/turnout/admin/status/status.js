// Turnout's status page. Reads GET api/v1/summary once a second and updates the page in place (rows are
// built once per pool, backend and route, so inputs being typed in and open forms survive a refresh).
// Rates come from the difference of two readings' running totals over the server's own clock. The charts
// start from the server's own history (GET api/v1/history), so a page opened mid-deploy shows what came before. Every
// control asks for confirmation, then calls the admin API and shows its answer, or its error text.
'use strict';

(() => {
  const TOKEN_KEY = 'turnout-admin-token';
  const POLL_MILLIS = 1000;
  const RATE_WINDOW_MILLIS = 5000;     // req/s and 5xx rate in the tables: over the last 5 s of readings
  const HISTORY_MILLIS = 3 * 60 * 1000; // the charts: the last 3 minutes
  const CHART_READINGS = 3;              // each chart point: the rate over the last 3 readings, to calm the jitter
  const TRAIL_SHOWN = 8;
  const DASH = '–';
  const PALETTE = ['#3b7dd8', '#36a372', '#8a63d2', '#e0a11b', '#17a2b8', '#d4577b', '#7a8b99', '#5b8c2a'];

  const page = {
    token: sessionStorage.getItem(TOKEN_KEY),
    structure: '',
    samples: new Map(),   // "pool" or "pool/id" -> [{t, requests, errors}], the last RATE_WINDOW_MILLIS
    history: new Map(),   // pool -> [{t, perBackend: {id: {perSecond}}, errorsPerSecond, p95}]
    historyLoaded: false, // whether the server's history was asked for (once, after the first summary)
    serverPoints: new Map(), // pool -> how many chart points came from the server's history
    drains: new Map(),    // "pool/id" -> deadline (ms, local clock) of a drain waiting for idle
    pollTimer: null,
    polling: false,
    pollAgain: false,
    countdownTimer: null,
  };

  const byId = (id) => document.getElementById(id);
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (name === 'class') {
        node.className = value;
      } else if (name === 'text') {
        node.textContent = value;
      } else {
        node.setAttribute(name, value);
      }
    }
    children.forEach((child) => node.append(child));
    return node;
  };
  const path = (...parts) => parts.map(encodeURIComponent).join('/');
  const field = (root, name) => root.querySelector(`[data-field="${name}"]`);

  // ---- the API ------------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  /** Calls the admin API; resolves to {status, data} for a 2xx, rejects with the API's error text otherwise. */
  async function api(method, url, body) {
    const headers = {};
    if (page.token) {
      headers.Authorization = 'Bearer ' + page.token;
    }
    const init = { method, headers, cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json'; // the API answers 415 without it
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);
    let data = null;
    try {
      data = await response.json();
    } catch (notJson) {
      data = null;
    }
    if (response.status === 401) {
      askForToken(page.token ? 'The admin API refused that token.' : 'This Turnout needs its admin token.');
      throw new ApiError(401, (data && data.error) || 'missing or wrong bearer token');
    }
    if (!response.ok) {
      throw new ApiError(response.status, (data && data.error) || `HTTP ${response.status}`);
    }
    return { status: response.status, data };
  }

  // ---- token ----------------------------------------------------------------------------------------

  function askForToken(reason) {
    page.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    clearTimeout(page.pollTimer);
    byId('token-reason').textContent = reason;
    byId('token-form').hidden = false;
    byId('content').hidden = true;
    byId('forget-token').hidden = true;
    setConnection('token', 'token needed');
    byId('token-input').focus();
  }

  byId('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = byId('token-input').value.trim();
    if (!token) {
      return;
    }
    page.token = token;
    sessionStorage.setItem(TOKEN_KEY, token);
    byId('token-input').value = '';
    byId('token-form').hidden = true;
    poll();
  });

  byId('forget-token').addEventListener('click', () => askForToken('Token forgotten; type it again to go on.'));

  // ---- polling --------------------------------------------------------------------------------------

  /** Reads the summary now, then once a second; a call while one is under way asks for one more after it. */
  async function poll() {
    if (page.polling) {
      page.pollAgain = true;
      return;
    }
    page.polling = true;
    clearTimeout(page.pollTimer);
    let tokenNeeded = false;
    try {
      const { data } = await api('GET', 'api/v1/summary');
      setConnection('live', 'live');
      byId('forget-token').hidden = !page.token;
      byId('content').hidden = false;
      render(data);
      if (!page.historyLoaded) {
        page.historyLoaded = true;
        loadHistory();
      }
    } catch (error) {
      tokenNeeded = error.status === 401;
      if (!tokenNeeded) {
        setConnection('error', 'no answer: ' + error.message);
      }
    } finally {
      page.polling = false;
    }
    if (tokenNeeded) {
      return; // the token form starts polling again
    }
    if (page.pollAgain) {
      page.pollAgain = false;
      poll();
    } else {
      page.pollTimer = setTimeout(poll, POLL_MILLIS);
    }
  }

  /** Lays the server's per-second samples under the points the page gathered itself, then redraws. */
  async function loadHistory() {
    let history;
    try {
      ({ data: history } = await api('GET', 'api/v1/history'));
    } catch (error) {
      return; // metrics off (404) or no answer: the charts fill as the page polls
    }
    for (const [pool, series] of Object.entries(history.pools)) {
      const perBackend = new Map(); // id -> Map(t -> req/s)
      for (const [key, backendSeries] of Object.entries(history.backends)) {
        if (key.startsWith(pool + '/')) {
          perBackend.set(key.substring(pool.length + 1), new Map(backendSeries.t.map((t, i) => [t, backendSeries.rps[i]])));
        }
      }
      const points = series.t.map((t, i) => {
        const rates = {};
        perBackend.forEach((byTime, id) => {
          rates[id] = byTime.has(t) ? { perSecond: byTime.get(t) } : null;
        });
        const p95 = series.p95_ms[i];
        return { t, perBackend: rates, errorsPerSecond: series.errors[i], p95: p95 === null ? null : p95 / 1000 };
      });
      const last = points.length ? points[points.length - 1].t : -Infinity;
      const gathered = (page.history.get(pool) || []).filter((point) => point.t > last);
      page.history.set(pool, points.concat(gathered));
      page.serverPoints.set(pool, points.length);
    }
    poll();
  }

  function setConnection(state, text) {
    const badge = byId('connection');
    badge.dataset.state = state;
    badge.textContent = text;
  }

  // ---- rendering ------------------------------------------------------------------------------------

  function render(summary) {
    const structure = JSON.stringify([
      summary.routes.map((route) => [route.name, Object.keys(route.split)]),
      summary.pools.map((pool) => [pool.name, pool.backends.map((backend) => backend.id)]),
    ]);
    if (structure !== page.structure) {
      page.structure = structure;
      buildRoutes(summary);
      buildPools(summary);
      forgetGone(summary);
    }
    byId('server-time').textContent = 'updated ' + new Date(summary['time-millis']).toLocaleTimeString();
    byId('metrics-off').hidden = summary.metrics;
    updateInstance(summary.turnout);
    recordSamples(summary);
    summary.routes.forEach(updateRoute);
    summary.pools.forEach((pool) => updatePool(pool, summary));
    updateCountdowns();
  }

  function updateInstance(turnout) {
    byId('version').textContent = 'Turnout ' + turnout.version;
    byId('uptime').textContent = uptime(turnout['uptime-seconds']);
    byId('client-connections').textContent = turnout['client-connections'].toLocaleString('en-US');
    byId('cache-hit-ratio').textContent = percent(turnout['cache-hit-ratio']);
    byId('config-hash').textContent = turnout['config-hash'] || '';
    const reload = turnout['last-reload'];
    const last = byId('last-reload');
    last.textContent = reload ? '(last reload ' + reload.result + ' at '
        + new Date(reload.at).toLocaleTimeString() + ')' : '(not reloaded since start)';
    last.dataset.result = reload ? reload.result : 'none';
    last.title = reload ? reload.message : '';
  }

  function recordSamples(summary) {
    const t = summary['time-millis'];
    for (const pool of summary.pools) {
      addSample(pool.name, t, pool.requests, pool.errors);
      const perBackend = {};
      for (const backend of pool.backends) {
        const key = pool.name + '/' + backend.id;
        addSample(key, t, backend.requests, backend.errors);
        perBackend[backend.id] = recentRate(key);
      }
      const poolRate = recentRate(pool.name);
      const history = page.history.get(pool.name) || [];
      history.push({
        t,
        perBackend,
        errorsPerSecond: poolRate === null ? null : poolRate.errorsPerSecond,
        p95: pool['p95-seconds'],
      });
      while (history.length && history[0].t < t - HISTORY_MILLIS) {
        history.shift();
      }
      page.history.set(pool.name, history);
    }
  }

  function addSample(key, t, requests, errors) {
    if (requests === null || requests === undefined) {
      page.samples.delete(key);
      return;
    }
    let list = page.samples.get(key) || [];
    if (list.length && requests < list[list.length - 1].requests) {
      list = []; // removed and added again: its totals started over
    }
    list.push({ t, requests, errors });
    while (list.length > 2 && list[1].t <= t - RATE_WINDOW_MILLIS) {
      list.shift();
    }
    page.samples.set(key, list);
  }

  /** Requests per second and the 5xx share between the oldest and newest readings kept, or null. */
  function windowRate(key) {
    const list = page.samples.get(key);
    if (!list || list.length < 2) {
      return null;
    }
    return rateBetween(list[0], list[list.length - 1]);
  }

  /** The same over the last CHART_READINGS readings, for the charts. */
  function recentRate(key) {
    const list = page.samples.get(key);
    if (!list || list.length < 2) {
      return null;
    }
    return rateBetween(list[Math.max(0, list.length - 1 - CHART_READINGS)], list[list.length - 1]);
  }

  function rateBetween(first, last) {
    const seconds = (last.t - first.t) / 1000;
    if (seconds <= 0) {
      return null;
    }
    const requests = last.requests - first.requests;
    const errors = last.errors - first.errors;
    return {
      perSecond: requests / seconds,
      errorsPerSecond: errors / seconds,
      errorRate: requests > 0 ? errors / requests : null,
    };
  }

  function forgetGone(summary) {
    const keys = new Set();
    summary.pools.forEach((pool) => {
      keys.add(pool.name);
      pool.backends.forEach((backend) => keys.add(pool.name + '/' + backend.id));
    });
    for (const key of [...page.samples.keys()]) {
      if (!keys.has(key)) {
        page.samples.delete(key);
      }
    }
    for (const key of [...page.history.keys()]) {
      if (!keys.has(key)) {
        page.history.delete(key);
      }
    }
  }

  // ---- routes ---------------------------------------------------------------------------------------

  function buildRoutes(summary) {
    const body = byId('routes-body');
    body.replaceChildren();
    const poolNames = summary.pools.map((pool) => pool.name);
    for (const route of summary.routes) {
      const splitEditor = el('div', { class: 'split-editor' });
      for (const pool of Object.keys(route.split)) {
        const input = el('input', { type: 'number', min: '0', max: '100', step: '1', 'data-split-input': pool,
          'aria-label': `${route.name} share of ${pool}` });
        markEdits(input);
        splitEditor.append(el('label', {}, pool + ' ', input));
      }
      splitEditor.append(el('button', { type: 'button', 'data-action': 'set-split', text: 'set split' }));

      const row = el('tr', { class: 'route', 'data-route': route.name },
        el('td', { text: route.name, 'data-field': 'name' }),
        el('td', { text: route.host + ' ' + route['path-prefix'], 'data-field': 'match' }),
        el('td', { class: 'wrap' }, el('ul', { class: 'policy', 'data-field': 'policy' }),
          el('span', { class: 'rate-limited', 'data-field': 'rate-limited' })),
        el('td', {}, el('div', { class: 'splitbar', 'data-field': 'split-bar' }),
          el('span', { class: 'split-text', 'data-field': 'split' })),
        el('td', { class: 'wrap' }, el('span', { 'data-field': 'rollout-state' }), ' ',
          el('span', { 'data-field': 'rollout-step' })),
        el('td', {}, splitEditor),
        el('td', {}, rolloutForm(route, poolNames), ' ',
          el('button', { type: 'button', 'data-action': 'abort-rollout', text: 'abort rollout' })));
      const trail = el('tr', { class: 'trail', 'data-trail': route.name, hidden: '' },
        el('td', { colspan: '7' }, el('ol', { 'data-field': 'trail', reversed: '' })));
      body.append(row, trail);
    }
  }

  /** An input the operator edits is not refreshed from the server until its change is sent (or refused). */
  function markEdits(input) {
    input.addEventListener('input', () => { input.dataset.dirty = 'true'; });
  }

  /**
   * Shows the server's value in an input unless the operator is editing it: focused, typed in, or holding
   * anything but what the page last put there. The last covers a value cleared or set without typing (a
   * form reset, autofill, WebDriver's clear), which fires no input event and leaves the field unfocused:
   * the refresh would otherwise write the old value back, and the next keys typed would add to it.
   */
  function refreshInput(input, value) {
    if (input.dataset.dirty === 'true' || document.activeElement === input) {
      return;
    }
    if (input.dataset.shown !== undefined && input.value !== input.dataset.shown) {
      input.dataset.dirty = 'true';
      return;
    }
    input.value = value;
    input.dataset.shown = input.value;
  }

  /** The edit was sent: the input shows the server's value again from the next refresh. */
  function editDone(input) {
    delete input.dataset.dirty;
    delete input.dataset.shown;
  }

  function rolloutForm(route, poolNames) {
    // Proposed: from the pool with the largest share to the one with the smallest.
    const pools = Object.keys(route.split).sort((a, b) => route.split[b] - route.split[a]);
    const select = (name, chosen) => {
      const node = el('select', { 'data-rollout': name });
      poolNames.forEach((pool) => node.append(el('option', { value: pool, text: pool })));
      node.value = chosen;
      return node;
    };
    const input = (name, value) => el('input', { class: 'wide', 'data-rollout': name, value });
    const fields = el('div', { class: 'fields' },
      el('label', { text: 'from' }), select('from', pools[0] || poolNames[0]),
      el('label', { text: 'to' }), select('to', pools[pools.length - 1] || poolNames[poolNames.length - 1]),
      el('label', { text: 'steps (%)' }), input('steps', '5,25,50,100'),
      el('label', { text: 'interval' }), input('interval', '30s'),
      el('label', { text: 'max-error-rate' }), input('max-error-rate', '0.02'),
      el('label', { text: 'max-p95-ratio' }), input('max-p95-ratio', '1.5'),
      el('label', { text: 'min-requests' }), input('min-requests', '100'));
    return el('details', { class: 'rollout-form', 'data-role': 'rollout-form' },
      el('summary', { text: 'start rollout…' }), fields,
      el('button', { type: 'button', 'data-action': 'start-rollout', text: 'start rollout' }));
  }

  function updateRoute(route) {
    const row = document.querySelector(`tr.route[data-route="${route.name}"]`);
    const pools = Object.keys(route.split);
    const bar = field(row, 'split-bar');
    bar.replaceChildren(...pools.map((pool, i) => {
      const part = el('span', { title: `${pool} ${route.split[pool]}%` });
      part.style.width = route.split[pool] + '%';
      part.style.background = PALETTE[(i * 3) % PALETTE.length];
      return part;
    }));
    field(row, 'split').textContent = pools.map((pool) => `${pool} ${route.split[pool]}`).join(' · ');
    for (const input of row.querySelectorAll('[data-split-input]')) {
      refreshInput(input, route.split[input.dataset.splitInput]);
    }
    updatePolicy(row, route);

    const rollout = route.rollout;
    const stateNode = field(row, 'rollout-state');
    const stepNode = field(row, 'rollout-step');
    const abort = row.querySelector('[data-action="abort-rollout"]');
    const trailRow = document.querySelector(`tr.trail[data-trail="${route.name}"]`);
    if (!rollout) {
      stateNode.className = 'state state-none';
      stateNode.textContent = 'no rollout';
      stepNode.textContent = '';
      abort.disabled = true;
      trailRow.hidden = true;
      return;
    }
    stateNode.className = 'state state-' + rollout.state;
    stateNode.textContent = rollout.state;
    let step = `${rollout.from} → ${rollout.to}, step ${rollout.step}% of [${rollout.steps.join(', ')}], every ${rollout.interval}`;
    if (rollout.reason) {
      step += ': ' + rollout.reason;
    }
    stepNode.textContent = step;
    abort.disabled = rollout.state !== 'running';
    trailRow.hidden = rollout.verdicts.length === 0;
    const list = field(trailRow, 'trail');
    list.replaceChildren(...rollout.verdicts.slice(-TRAIL_SHOWN).reverse().map(verdictItem));
  }

  /** The route's rules, in the order they apply, and what its rate limit refused and holds. */
  function updatePolicy(row, route) {
    const rules = Object.entries(route.policy || {});
    const list = field(row, 'policy');
    const shown = JSON.stringify(rules);
    if (list.dataset.shown !== shown) {
      list.replaceChildren(...(rules.length === 0 ? [el('li', { class: 'none', text: 'no rules' })]
        : rules.map(([key, text]) => el('li', { text: `${key} ${text}` }))));
      list.dataset.shown = shown;
    }
    field(row, 'rate-limited').textContent = route['rate-limited'] === undefined ? ''
      : `rate-limited ${route['rate-limited']} · keys ${route['rate-limit-keys']}`;
  }

  function verdictItem(verdict) {
    const item = el('li', { 'data-outcome': verdict.outcome },
      el('span', { text: new Date(verdict.at).toLocaleTimeString() + ' ' }),
      el('span', { class: 'outcome outcome-' + verdict.outcome, text: verdict.outcome }),
      el('span', { text: ` at ${verdict.step}%` }));
    if (verdict.reason) {
      item.append(el('span', { text: ': ' + verdict.reason }));
    }
    for (const figures of [verdict.stable, verdict.canary]) {
      if (figures) {
        item.append(el('span', { class: 'figures', text: ` · ${figures.pool}: ${figures.requests} req, `
          + `${percent(figures['error-rate'])} 5xx, median ${duration(figures['median-seconds'])}, `
          + `p95 ${duration(figures['p95-seconds'])}` }));
      }
    }
    const tests = verdict.tests;
    if (tests) {
      item.append(el('span', { class: 'figures', 'data-field': 'verdict-tests', text: ` · U ${tests.u.toFixed(1)}, `
        + `latency p ${tests['latency-p-value'].toPrecision(3)} (median ${percent(tests['median-increase'])}), `
        + `5xx p ${tests['error-p-value'].toPrecision(3)} (${tests['error-test']}, `
        + `${percent(tests['error-rate-increase'])})` }));
    }
    return item;
  }

  // ---- pools ----------------------------------------------------------------------------------------

  function buildPools(summary) {
    const container = byId('pools');
    container.replaceChildren();
    for (const pool of summary.pools) {
      const legend = el('div', { class: 'legend', 'data-field': 'legend' });
      pool.backends.forEach((backend, i) => {
        const swatch = el('span', { class: 'swatch' });
        swatch.style.background = PALETTE[i % PALETTE.length];
        legend.append(el('span', {}, swatch, backend.id + ' req/s'));
      });
      const errorSwatch = el('span', { class: 'swatch' });
      errorSwatch.style.background = '#d93025';
      const p95Swatch = el('span', { class: 'swatch line' });
      p95Swatch.style.background = '#1d2330';
      legend.append(el('span', {}, errorSwatch, '5xx/s'), el('span', {}, p95Swatch, 'pool p95'));

      const head = el('tr', {}, ...['backend', 'address', 'state', 'health', 'ejected', 'weight', 'in-flight', 'req/s',
        '5xx', 'p95', 'requests', 'controls'].map((name, i) => el('th', { class: i >= 5 && i <= 10 ? 'num' : '', text: name })));
      const rows = el('tbody');
      pool.backends.forEach((backend) => rows.append(backendRow(pool.name, backend)));

      container.append(el('section', { class: 'pool', 'data-pool': pool.name },
        el('div', { class: 'pool-head' },
          el('h2', {}, pool.name, el('span', { class: 'sub', text: pool.balancer })),
          el('div', { class: 'pool-figures' },
            'req/s ', el('b', { 'data-field': 'pool-rate' }), ' · 5xx ', el('b', { 'data-field': 'pool-errors' }),
            ' · p95 ', el('b', { 'data-field': 'pool-p95' }), ' · in-flight ', el('b', { 'data-field': 'pool-inflight' }))),
        el('div', { class: 'pool-body' },
          el('div', { class: 'backends-box' }, el('table', { class: 'backends' }, el('thead', {}, head), rows)),
          el('div', { class: 'chart' }, el('canvas', { 'data-chart': pool.name, height: '120' }), legend))));
    }
  }

  function backendRow(pool, backend) {
    const weight = el('input', { type: 'number', min: '0', step: '1', 'data-weight-input': '',
      'aria-label': `weight of ${pool}/${backend.id}` });
    markEdits(weight);
    const cell = (name, numeric) => el('td', { 'data-field': name, class: numeric ? 'num' : '' });
    return el('tr', { 'data-pool': pool, 'data-backend': backend.id },
      el('td', { text: backend.id, 'data-field': 'id' }),
      el('td', { 'data-field': 'address' }, backend.address,
        backend.discovered ? el('span', { class: 'tag discovered', text: 'dns', title: 'found by DNS discovery' }) : ''),
      el('td', {}, el('span', { 'data-field': 'state' }), el('span', { class: 'countdown', 'data-field': 'drain-countdown' })),
      el('td', {}, el('span', { 'data-field': 'health' })),
      el('td', {}, el('span', { 'data-field': 'ejected' })),
      cell('weight', true), cell('inflight', true), cell('rate', true), cell('error-rate', true), cell('p95', true),
      cell('requests', true),
      el('td', {},
        el('button', { type: 'button', 'data-action': 'drain', text: 'drain' }), ' ',
        el('button', { type: 'button', 'data-action': 'enable', text: 'enable' }), ' ',
        weight, ' ',
        el('button', { type: 'button', 'data-action': 'set-weight', text: 'set weight' })));
  }

  function updatePool(pool, summary) {
    const section = document.querySelector(`section.pool[data-pool="${pool.name}"]`);
    const poolRate = windowRate(pool.name);
    field(section, 'pool-rate').textContent = summary.metrics ? perSecond(poolRate && poolRate.perSecond) : DASH;
    field(section, 'pool-errors').textContent = summary.metrics ? percent(poolRate && poolRate.errorRate) : DASH;
    field(section, 'pool-p95').textContent = duration(pool['p95-seconds']);
    field(section, 'pool-inflight').textContent = pool.backends.reduce((sum, backend) => sum + backend.inflight, 0);
    for (const backend of pool.backends) {
      const row = section.querySelector(`tr[data-backend="${backend.id}"]`);
      const rate = windowRate(pool.name + '/' + backend.id);
      const down = backend.health === 'down' || backend.ejected;
      row.className = 'row-' + (backend.state === 'active' && down ? 'down' : backend.state);
      const state = field(row, 'state');
      state.className = 'state state-' + backend.state;
      state.textContent = backend.state;
      const health = field(row, 'health');
      const checked = pool['health-check'] !== null;
      health.className = 'health health-' + (checked ? backend.health : 'none');
      health.textContent = checked ? backend.health : 'no health check';
      health.title = checked ? `GET ${pool['health-check']}` : 'this pool has no health-check';
      const ejected = field(row, 'ejected');
      ejected.className = backend.ejected ? 'tag ejected' : '';
      ejected.textContent = backend.ejected ? 'ejected' : 'no';
      field(row, 'weight').textContent = backend.weight;
      field(row, 'inflight').textContent = backend.inflight;
      field(row, 'rate').textContent = summary.metrics ? perSecond(rate && rate.perSecond) : DASH;
      field(row, 'error-rate').textContent = summary.metrics ? percent(rate && rate.errorRate) : DASH;
      field(row, 'p95').textContent = duration(backend['p95-seconds']);
      field(row, 'requests').textContent = backend.requests === null ? DASH : backend.requests.toLocaleString('en-US');
      row.querySelector('[data-action="drain"]').disabled = backend.state === 'draining' || backend.state === 'drained';
      row.querySelector('[data-action="enable"]').disabled = backend.state === 'active';
      refreshInput(row.querySelector('[data-weight-input]'), backend.weight);
    }
    drawChart(section.querySelector('canvas'), pool, summary);
  }

  // ---- charts ---------------------------------------------------------------------------------------

  /** Stacked req/s per backend, the pool's 5xx/s in red, and its p95 as a line on its own scale. */
  function drawChart(canvas, pool, summary) {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 360;
    const height = canvas.clientHeight || 120;
    if (canvas.width !== Math.round(width * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    g.font = '10px system-ui, sans-serif';
    if (!summary.metrics) {
      g.fillStyle = '#6b7385';
      g.fillText('metrics are off: no traffic figures', 8, height / 2);
      return;
    }
    const history = (page.history.get(pool.name) || []).filter((point) => Object.values(point.perBackend)
      .some((rate) => rate !== null) && point.t >= summary['time-millis'] - HISTORY_MILLIS);
    // What the chart holds, for whoever checks that it began from the server's history.
    canvas.dataset.serverPoints = page.serverPoints.get(pool.name) || 0;
    canvas.dataset.oldest = history.length ? history[0].t : '';
    const top = 12;
    const bottom = height - 12; // below: the minutes ago
    const now = summary['time-millis'];
    const x = (t) => width - ((now - t) / HISTORY_MILLIS) * width;
    const ids = pool.backends.map((backend) => backend.id);
    const stackTop = (point, upTo) => ids.slice(0, upTo + 1)
      .reduce((sum, id) => sum + Math.max(0, (point.perBackend[id] && point.perBackend[id].perSecond) || 0), 0);
    const maxRate = Math.max(1, ...history.map((point) => stackTop(point, ids.length - 1)));
    const maxP95 = Math.max(0.001, ...history.map((point) => point.p95 || 0));
    const yRate = (value) => bottom - (value / maxRate) * (bottom - top);
    const yP95 = (value) => bottom - (value / maxP95) * (bottom - top);

    g.strokeStyle = '#e3e6ec';
    g.lineWidth = 1;
    g.fillStyle = '#9aa1b0';
    for (let minute = 1; minute * 60000 < HISTORY_MILLIS; minute++) {
      const gx = Math.round(x(now - minute * 60000)) + 0.5;
      g.beginPath();
      g.moveTo(gx, top);
      g.lineTo(gx, bottom);
      g.stroke();
      g.fillText(`-${minute} min`, gx + 2, height - 2);
    }
    if (history.length >= 2) {
      for (let i = ids.length - 1; i >= 0; i--) {
        g.fillStyle = PALETTE[i % PALETTE.length];
        g.beginPath();
        g.moveTo(x(history[0].t), bottom);
        history.forEach((point) => g.lineTo(x(point.t), yRate(stackTop(point, i))));
        g.lineTo(x(history[history.length - 1].t), bottom);
        g.closePath();
        g.fill();
      }
      g.fillStyle = 'rgba(217, 48, 37, 0.85)';
      g.beginPath();
      g.moveTo(x(history[0].t), bottom);
      history.forEach((point) => g.lineTo(x(point.t), yRate(point.errorsPerSecond || 0)));
      g.lineTo(x(history[history.length - 1].t), bottom);
      g.closePath();
      g.fill();
      g.strokeStyle = '#1d2330';
      g.lineWidth = 1.5;
      g.beginPath();
      let drawing = false;
      history.forEach((point) => {
        if (point.p95 === null || point.p95 === undefined) {
          drawing = false;
          return;
        }
        if (drawing) {
          g.lineTo(x(point.t), yP95(point.p95));
        } else {
          g.moveTo(x(point.t), yP95(point.p95));
          drawing = true;
        }
      });
      g.stroke();
    }
    g.fillStyle = '#3b4355';
    g.textAlign = 'left';
    g.fillText(`${perSecond(maxRate)} req/s`, 2, 9);
    g.textAlign = 'right';
    g.fillText(`p95 ${duration(maxP95)}`, width - 2, 9);
    g.textAlign = 'left';
  }

  // ---- controls -------------------------------------------------------------------------------------

  document.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action]');
    if (!button || button.disabled) {
      return;
    }
    const backendRow = button.closest('tr[data-backend]');
    const routeRow = button.closest('tr[data-route]');
    const actions = {
      'drain': () => drain(backendRow.dataset.pool, backendRow.dataset.backend),
      'enable': () => enable(backendRow.dataset.pool, backendRow.dataset.backend),
      'set-weight': () => setWeight(backendRow),
      'set-split': () => setSplit(routeRow),
      'start-rollout': () => startRollout(routeRow),
      'abort-rollout': () => abortRollout(routeRow.dataset.route),
    };
    actions[button.dataset.action]();
  });

  async function drain(pool, id) {
    const wait = byId('drain-wait').value;
    const key = `${pool}/${id}`;
    if (!await confirmed(`Drain ${key}? It takes no new requests; those in flight finish. `
        + `The page waits up to ${wait} for it to become idle.`)) {
      return;
    }
    const started = Date.now();
    page.drains.set(key, started + parseInt(wait, 10) * 1000);
    updateCountdowns();
    try {
      const { status, data } = await api('POST', `api/v1/pools/${path(pool, 'backends', id)}/drain?wait=${wait}`);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (status === 200) {
        say('ok', `${key} drained: idle after ${seconds} s`);
      } else {
        say('ok', `${key} is out of rotation; ${data.inflight} request(s) still in flight after ${wait}`);
      }
    } catch (error) {
      say('error', `drain ${key}: ${error.message}`);
    } finally {
      page.drains.delete(key);
      updateCountdowns();
      poll();
    }
  }

  async function enable(pool, id) {
    const key = `${pool}/${id}`;
    if (!await confirmed(`Enable ${key}? It goes back into rotation.`)) {
      return;
    }
    await change(`enable ${key}`, () => api('POST', `api/v1/pools/${path(pool, 'backends', id)}/enable`),
      (backend) => `${key} is ${backend.state}`);
  }

  async function setWeight(row) {
    const { pool, backend: id } = row.dataset;
    const input = row.querySelector('[data-weight-input]');
    const weight = wholeNumber(input.value);
    if (!await confirmed(`Set the weight of ${pool}/${id} to ${input.value}?`)) {
      return;
    }
    const done = await change(`weight of ${pool}/${id}`,
      () => api('PUT', `api/v1/pools/${path(pool, 'backends', id)}/weight`, { weight }),
      (backend) => `${pool}/${id} has weight ${backend.weight}`);
    if (done) {
      editDone(input);
    }
  }

  async function setSplit(row) {
    const route = row.dataset.route;
    const split = {};
    const inputs = [...row.querySelectorAll('[data-split-input]')];
    inputs.forEach((input) => { split[input.dataset.splitInput] = wholeNumber(input.value); });
    const shown = inputs.map((input) => `${input.dataset.splitInput} ${input.value}`).join(' · ');
    if (!await confirmed(`Set the split of route ${route} to ${shown}?`)) {
      return;
    }
    const done = await change(`split of ${route}`, () => api('PUT', `api/v1/routes/${path(route)}/split`, split),
      (view) => `route ${view.name} now splits ` + Object.entries(view.split).map(([p, s]) => `${p} ${s}`).join(' · '));
    if (done) {
      inputs.forEach(editDone);
    }
  }

  async function startRollout(row) {
    const route = row.dataset.route;
    const value = (name) => row.querySelector(`[data-rollout="${name}"]`).value.trim();
    const plan = {
      from: value('from'),
      to: value('to'),
      steps: value('steps').split(',').map((step) => wholeNumber(step.trim())),
      interval: value('interval'),
      'max-error-rate': Number(value('max-error-rate')),
      'max-p95-ratio': Number(value('max-p95-ratio')),
      'min-requests': wholeNumber(value('min-requests')),
    };
    if (!await confirmed(`Start a rollout on route ${route} from ${plan.from} to ${plan.to}, steps `
        + `${value('steps')} every ${plan.interval}?`)) {
      return;
    }
    await change(`rollout on ${route}`, () => api('POST', `api/v1/routes/${path(route)}/rollout`, plan),
      (rollout) => `rollout on ${route} ${rollout.state}: ${rollout.to} gets ${rollout.step}%`);
  }

  async function abortRollout(route) {
    if (!await confirmed(`Abort the rollout on route ${route}? Its "from" pool gets all of the route at once.`)) {
      return;
    }
    await change(`abort rollout on ${route}`, () => api('DELETE', `api/v1/routes/${path(route)}/rollout`),
      (rollout) => `rollout on ${route} aborted: ${rollout.from} gets 100%`);
  }

  /** Runs one API change, says how it went; resolves to whether it was accepted. */
  async function change(what, call, describe) {
    try {
      const { data } = await call();
      say('ok', describe(data));
      return true;
    } catch (error) {
      say('error', `${what} refused: ${error.message}`);
      return false;
    } finally {
      poll();
    }
  }

  /** A whole number as typed, or the text itself for the API to refuse with its own words. */
  function wholeNumber(text) {
    return /^\s*-?\d+\s*$/.test(text) ? parseInt(text, 10) : text;
  }

  function updateCountdowns() {
    const now = Date.now();
    for (const node of document.querySelectorAll('[data-field="drain-countdown"]')) {
      const row = node.closest('tr[data-backend]');
      const deadline = page.drains.get(`${row.dataset.pool}/${row.dataset.backend}`);
      node.textContent = deadline === undefined ? ''
        : ` waiting for idle: ${Math.max(0, Math.ceil((deadline - now) / 1000))} s`;
    }
    if (page.drains.size && !page.countdownTimer) {
      page.countdownTimer = setInterval(updateCountdowns, 250);
    } else if (!page.drains.size && page.countdownTimer) {
      clearInterval(page.countdownTimer);
      page.countdownTimer = null;
    }
  }

  // ---- confirmation and messages --------------------------------------------------------------------

  /** The page's own confirmation dialog: resolves true on Confirm, false on Cancel or Escape. */
  function confirmed(text) {
    const dialog = byId('confirm');
    byId('confirm-text').textContent = text;
    dialog.hidden = false;
    byId('confirm-cancel').focus();
    return new Promise((resolve) => {
      const finish = (answer) => {
        dialog.hidden = true;
        byId('confirm-ok').removeEventListener('click', onConfirm);
        byId('confirm-cancel').removeEventListener('click', onCancel);
        document.removeEventListener('keydown', onKey);
        resolve(answer);
      };
      const onConfirm = () => finish(true);
      const onCancel = () => finish(false);
      const onKey = (event) => {
        if (event.key === 'Escape') {
          finish(false);
        }
      };
      byId('confirm-ok').addEventListener('click', onConfirm);
      byId('confirm-cancel').addEventListener('click', onCancel);
      document.addEventListener('keydown', onKey);
    });
  }

  function say(kind, text) {
    const message = byId('message');
    message.dataset.kind = kind;
    message.textContent = text;
    message.hidden = false;
  }

  // ---- formatting -----------------------------------------------------------------------------------

  function perSecond(value) {
    if (value === null || value === undefined) {
      return DASH;
    }
    return value < 10 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US');
  }

  function percent(fraction) {
    return fraction === null || fraction === undefined ? DASH : (fraction * 100).toFixed(2) + '%';
  }

  function uptime(seconds) {
    const days = Math.floor(seconds / 86400);
    const hours = Math.floor((seconds % 86400) / 3600);
    const minutes = Math.floor((seconds % 3600) / 60);
    if (days > 0) {
      return `${days} d ${hours} h`;
    }
    return hours > 0 ? `${hours} h ${minutes} min` : `${minutes} min ${seconds % 60} s`;
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) {
      return DASH;
    }
    if (seconds < 0.01) {
      return (seconds * 1000).toFixed(1) + ' ms';
    }
    return seconds < 1 ? Math.round(seconds * 1000) + ' ms' : seconds.toFixed(2) + ' s';
  }

  poll();
})();
