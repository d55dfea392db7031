/* k2search web UI: plain JavaScript, no dependencies, no build step.
 *
 * Talks to the same-origin JSON API:
 *   GET /search?q=&limit=&offset=&category=&facets=category   GET /suggest?q=
 *   GET /passages/{id}   GET /stats
 * Everything that comes from the server is inserted as text, except
 * `snippet_html` (server-escaped, with <mark> tags), which is parsed inertly
 * and rebuilt from text and <mark> elements only.
 */
(function () {
  'use strict';

  var PAGE_SIZE = 10;
  var DEBOUNCE_MS = 150;

  // Filled from the server's /stats (category_labels): one list of labels, the server's.
  var CATEGORY_LABELS = {};
  var KIND_LABELS = { section: 'Article section', faq: 'FAQ answer', intro: 'Introduction' };

  var $ = function (id) { return document.getElementById(id); };
  var el = {
    form: $('search-form'), q: $('q'), category: $('category'), categoryWrap: $('category-filter'),
    summary: $('summary'), corrected: $('corrected'), facetChips: $('facet-chips'),
    suggestions: $('suggestions'),
    empty: $('state-empty'), none: $('state-none'), noneText: $('none-text'),
    noneAll: $('none-all-categories'), error: $('state-error'), errorText: $('error-text'),
    retry: $('retry'), resultsSection: $('results-section'), results: $('results'),
    more: $('more'), loadMore: $('load-more'), moreError: $('more-error'),
    indexInfo: $('index-info'),
    panel: $('panel'), panelBadge: $('panel-badge'), panelKind: $('panel-kind'),
    panelTitle: $('panel-title'), panelHeadings: $('panel-headings'),
    panelCitation: $('panel-citation'), panelBody: $('panel-body'),
    panelStatus: $('panel-status'), panelClose: $('panel-close'),
    copyCite: $('copy-cite'), copyLink: $('copy-link')
  };

  // Current search state. `seq` increases with every request so that a late
  // response to an older query can never overwrite a newer one.
  var state = { q: '', category: '', hits: [], total: 0, tookMs: null, seq: 0, controller: null, words: [] };
  // The category counts of the query searched in all categories: the chips keep
  // showing every category while one of them filters.
  var facets = { q: '', counts: [] };
  var debounceTimer = 0;
  var panelSeq = 0;
  var panelReturnFocus = null;
  var panelHit = null;

  // ---------------------------------------------------------------- helpers

  function categoryLabel(cat) {
    if (!cat) return '';
    if (Object.prototype.hasOwnProperty.call(CATEGORY_LABELS, cat)) return CATEGORY_LABELS[cat];
    var s = String(cat).replace(/[_-]+/g, ' ').trim();
    return s.charAt(0).toUpperCase() + s.slice(1);
  }

  function location_(p) {
    return p.path + ':' + p.line_start + '-' + p.line_end;
  }

  function citationText(p) {
    var h = (p.headings || []).filter(Boolean);
    return location_(p) + (h.length ? ' \u203a ' + h.join(' \u203a ') : '');
  }

  /** Renders "path:a-b › Heading › Sub" into `node`, location in monospace. */
  function fillCitation(node, p) {
    node.textContent = '';
    var loc = document.createElement('span');
    loc.className = 'cite-loc';
    loc.textContent = location_(p);
    node.appendChild(loc);
    (p.headings || []).filter(Boolean).forEach(function (h) {
      var sep = document.createElement('span');
      sep.className = 'cite-sep';
      sep.textContent = ' \u203a ';
      node.appendChild(sep);
      var hs = document.createElement('span');
      hs.className = 'cite-heading';
      hs.textContent = h;
      node.appendChild(hs);
    });
  }

  function fillBadge(node, cat) {
    node.textContent = categoryLabel(cat);
    node.setAttribute('data-category', cat || '');
    node.hidden = !cat;
  }

  function formatMs(ms) {
    if (typeof ms !== 'number' || !isFinite(ms)) return '';
    if (ms < 10) return (Math.round(ms * 10) / 10) + ' ms';
    return Math.round(ms) + ' ms';
  }

  function plural(n, one, many) { return n === 1 ? one : many; }

  /** GET a JSON endpoint; throws an Error with a human message on failure. */
  function getJSON(url, signal) {
    return fetch(url, { signal: signal, headers: { Accept: 'application/json' } }).then(
      function (res) {
        return res.text().then(function (body) {
          var data = null;
          try { data = body ? JSON.parse(body) : null; } catch (e) { data = null; }
          if (!res.ok) {
            var msg = data && typeof data.error === 'string' && data.error
              ? data.error
              : 'The server answered ' + res.status + (res.statusText ? ' ' + res.statusText : '') + '.';
            var err = new Error(msg);
            err.status = res.status;
            throw err;
          }
          if (data === null) throw new Error('The server sent a response that could not be read.');
          return data;
        });
      },
      function (e) {
        if (e && e.name === 'AbortError') throw e;
        var err = new Error('Could not reach the search server. Check your connection and try again.');
        err.network = true;
        throw err;
      }
    );
  }

  function syncUrl() {
    var u = new URL(window.location.href);
    var params = new URLSearchParams();
    if (state.q) params.set('q', state.q);
    if (state.category) params.set('category', state.category);
    if (panelHit && el.panel.open) params.set('p', panelHit.id);
    var qs = params.toString();
    var next = u.pathname + (qs ? '?' + qs : '') + u.hash;
    if (next !== u.pathname + u.search + u.hash) {
      try { window.history.replaceState(null, '', next); } catch (e) { /* file:// etc. */ }
    }
  }

  function hitHref(id) {
    var params = new URLSearchParams();
    if (state.q) params.set('q', state.q);
    if (state.category) params.set('category', state.category);
    params.set('p', id);
    return '?' + params.toString();
  }

  /** The words the server searched for (its analysis: stop words dropped), to
   *  highlight the full passage in the panel. */
  function searchedWords(data) {
    var words = data && data.analysis && Array.isArray(data.analysis.words) ? data.analysis.words : [];
    var seen = {};
    return words.filter(function (w) {
      var t = w && typeof w.word === 'string' ? w.word.toLowerCase() : '';
      if (!t || t.length < 2 || w.role === 'dropped' || !(w.weight > 0) || seen[t]) return false;
      seen[t] = 1;
      return true;
    }).map(function (w) { return w.word.toLowerCase(); });
  }

  /** Appends `text` to `parent`, wrapping query-term matches in <mark>. */
  function appendHighlighted(parent, text, re) {
    if (!re) { parent.appendChild(document.createTextNode(text)); return; }
    var last = 0;
    re.lastIndex = 0;
    var m;
    while ((m = re.exec(text)) !== null) {
      if (m[0] === '') { re.lastIndex++; continue; }
      if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      var mark = document.createElement('mark');
      mark.textContent = m[0];
      parent.appendChild(mark);
      last = m.index + m[0].length;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function termRegex() {
    var terms = state.words.slice();
    if (!terms.length) return null;
    var alt = terms
      .sort(function (a, b) { return b.length - a.length; })
      .map(function (t) { return t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); })
      .join('|');
    try {
      return new RegExp('(?<![\\p{L}\\p{N}])(?:' + alt + ')[\\p{L}\\p{N}]*', 'giu');
    } catch (e) {
      return new RegExp('\\b(?:' + alt + ')\\w*', 'gi');
    }
  }

  // ------------------------------------------------------------ view states

  function show(which) {
    // which: 'empty' | 'results' | 'none' | 'error'
    el.empty.hidden = which !== 'empty';
    el.none.hidden = which !== 'none';
    el.error.hidden = which !== 'error';
    el.resultsSection.hidden = which !== 'results';
    document.body.setAttribute('data-view', which);
  }

  function setLoading(on) {
    el.form.classList.toggle('is-loading', on);
    el.results.setAttribute('aria-busy', on ? 'true' : 'false');
  }

  function renderSummary() {
    var n = state.total;
    var parts = [n.toLocaleString('en-US') + ' ' + plural(n, 'result', 'results')];
    if (state.category) parts[0] += ' in ' + categoryLabel(state.category);
    var t = formatMs(state.tookMs);
    if (t) parts.push(t);
    el.summary.textContent = parts.join(' \u00b7 ');
  }

  function renderCorrected(corrected) {
    el.corrected.textContent = '';
    if (corrected && corrected.toLowerCase() !== state.q.toLowerCase()) {
      el.corrected.appendChild(document.createTextNode('Showing results for '));
      var b = document.createElement('b');
      b.textContent = corrected;
      el.corrected.appendChild(b);
      el.corrected.hidden = false;
    } else {
      el.corrected.hidden = true;
    }
  }

  /**
   * Inserts the server's snippet_html (escaped text + <mark> tags). Parsed in
   * an inert <template> and rebuilt from text nodes and <mark> elements only,
   * so nothing else (attributes, scripts, images) can reach the page.
   */
  function appendSnippetHtml(parent, html) {
    var tpl = document.createElement('template');
    tpl.innerHTML = html;
    (function copy(from, to) {
      Array.prototype.forEach.call(from.childNodes, function (n) {
        if (n.nodeType === 3) {
          to.appendChild(document.createTextNode(n.nodeValue));
        } else if (n.nodeType === 1) {
          if (n.localName === 'mark') {
            var m = document.createElement('mark');
            copy(n, m);
            to.appendChild(m);
          } else {
            copy(n, to); // keep the text of anything unexpected, drop the tag
          }
        }
      });
    })(tpl.content, parent);
  }

  function buildHit(hit, index) {
    var li = document.createElement('li');
    li.className = 'result';

    var a = document.createElement('a');
    a.className = 'hit';
    a.href = hitHref(hit.id);
    a.id = 'hit-' + index;
    a.setAttribute('data-id', hit.id);
    a.setAttribute('data-index', String(index));

    var head = document.createElement('div');
    head.className = 'hit-head';
    var title = document.createElement('h3');
    title.className = 'hit-title';
    title.id = 'hit-' + index + '-title';
    title.textContent = hit.title || hit.path;
    head.appendChild(title);
    var badge = document.createElement('span');
    badge.className = 'badge';
    fillBadge(badge, hit.category);
    head.appendChild(badge);
    a.appendChild(head);

    var cite = document.createElement('p');
    cite.className = 'hit-cite';
    cite.id = 'hit-' + index + '-cite';
    var code = document.createElement('span');
    code.className = 'citation';
    fillCitation(code, hit);
    cite.appendChild(code);
    a.appendChild(cite);

    var snip = document.createElement('p');
    snip.className = 'hit-snippet';
    snip.id = 'hit-' + index + '-snippet';
    if (typeof hit.snippet_html === 'string' && hit.snippet_html) {
      appendSnippetHtml(snip, hit.snippet_html);
    } else {
      snip.textContent = hit.snippet || '';
    }
    a.appendChild(snip);

    a.setAttribute('aria-labelledby', title.id);
    a.setAttribute('aria-describedby', cite.id + ' ' + snip.id);
    li.appendChild(a);
    return li;
  }

  function renderMore() {
    var remaining = state.total - state.hits.length;
    el.more.hidden = remaining <= 0;
    el.moreError.hidden = true;
    el.loadMore.disabled = false;
    el.loadMore.textContent = remaining > 0
      ? 'Load more results (' + remaining.toLocaleString('en-US') + ' more)'
      : 'Load more results';
  }

  function renderNone() {
    el.noneText.textContent = '';
    el.noneText.appendChild(document.createTextNode('No passages match \u201c'));
    var b = document.createElement('b');
    b.textContent = state.q;
    el.noneText.appendChild(b);
    el.noneText.appendChild(document.createTextNode(
      '\u201d' + (state.category ? ' in ' + categoryLabel(state.category) : '') +
      '. Try fewer or different words, or check the spelling.'));
    el.noneAll.hidden = !state.category;
  }

  function showError(err) {
    el.errorText.textContent = err && err.message ? err.message : 'Unknown error.';
    el.summary.textContent = '';
    el.corrected.hidden = true;
    el.facetChips.hidden = true;
    show('error');
  }

  function showEmpty() {
    el.summary.textContent = '';
    el.corrected.hidden = true;
    el.facetChips.hidden = true;
    el.results.textContent = '';
    state.hits = [];
    state.total = 0;
    show('empty');
  }

  // ---------------------------------------------------------------- search

  function cancelInFlight() {
    if (state.controller) state.controller.abort();
    state.controller = null;
  }

  function searchUrl(offset) {
    var p = new URLSearchParams();
    p.set('q', state.q);
    p.set('limit', String(PAGE_SIZE));
    p.set('offset', String(offset));
    if (state.category) p.set('category', state.category);
    if (offset === 0) p.set('facets', 'category');
    return '/search?' + p.toString();
  }

  function chip(cat, label, count) {
    var li = document.createElement('li');
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'chip facet-chip';
    b.setAttribute('data-category', cat);
    b.setAttribute('aria-pressed', String(state.category === cat));
    b.textContent = label;
    if (typeof count === 'number') {
      var n = document.createElement('span');
      n.className = 'chip-count';
      n.textContent = '(' + count.toLocaleString('en-US') + ')';
      b.appendChild(n);
    }
    li.appendChild(b);
    return li;
  }

  /** The category chips: "All" and each category with its count of matches. */
  function renderFacets(data) {
    var counts = data && data.facets && Array.isArray(data.facets.category) ? data.facets.category : null;
    if (counts && !state.category) facets = { q: state.q, counts: counts };
    if (facets.q !== state.q) facets = { q: state.q, counts: counts || [] };
    el.facetChips.textContent = '';
    var list = facets.counts;
    if (state.category && !list.some(function (f) { return f.value === state.category; })) {
      list = list.concat([{ value: state.category, count: state.total }]);
    }
    if (list.length < 2 && !state.category) { el.facetChips.hidden = true; return; }
    var all = list.reduce(function (sum, f) { return sum + f.count; }, 0);
    el.facetChips.appendChild(chip('', 'All', state.category ? undefined : all));
    list.forEach(function (f) { el.facetChips.appendChild(chip(f.value, categoryLabel(f.value), f.count)); });
    el.facetChips.hidden = false;
  }

  /** Starts a fresh search for the current input (offset 0). */
  function search() {
    clearTimeout(debounceTimer);
    state.q = el.q.value.trim();
    state.category = el.category.value;
    syncUrl();
    cancelInFlight();
    var seq = ++state.seq;

    if (!state.q) {
      setLoading(false);
      showEmpty();
      return Promise.resolve();
    }

    var controller = new AbortController();
    state.controller = controller;
    setLoading(true);

    return getJSON(searchUrl(0), controller.signal).then(function (data) {
      if (seq !== state.seq) return; // a newer search has started
      state.controller = null;
      setLoading(false);
      var hits = Array.isArray(data.hits) ? data.hits : [];
      state.hits = hits.slice();
      state.words = searchedWords(data);
      state.total = typeof data.total_hits === 'number' ? Math.max(data.total_hits, hits.length) : hits.length;
      state.tookMs = data.took_ms;
      renderCorrected(data.corrected);
      renderSummary();
      renderFacets(data);
      el.results.textContent = '';
      if (!hits.length) {
        renderNone();
        show('none');
        return;
      }
      var frag = document.createDocumentFragment();
      hits.forEach(function (h, i) { frag.appendChild(buildHit(h, i)); });
      el.results.appendChild(frag);
      renderMore();
      show('results');
    }, function (err) {
      if (seq !== state.seq || (err && err.name === 'AbortError')) return;
      state.controller = null;
      setLoading(false);
      showError(err);
    });
  }

  // The autocomplete list: titles, headings and words that start with the last
  // word typed (GET /suggest), offered as completions of the whole input.
  var suggestTimer = 0;
  var suggestSeq = 0;
  function scheduleSuggest() {
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(suggest, DEBOUNCE_MS);
  }

  function suggest() {
    var value = el.q.value;
    var m = /(\S+)$/.exec(value);
    var seq = ++suggestSeq;
    if (!m || m[1].length < 2) { el.suggestions.textContent = ''; return; }
    var before = value.slice(0, value.length - m[1].length);
    getJSON('/suggest?limit=8&q=' + encodeURIComponent(m[1])).then(function (data) {
      if (seq !== suggestSeq) return;
      el.suggestions.textContent = '';
      (Array.isArray(data.suggestions) ? data.suggestions : []).forEach(function (s) {
        el.suggestions.appendChild(new Option(before + s.text));
      });
    }, function () { /* suggestions are a nicety: the search reports errors */ });
  }

  function scheduleSearch() {
    clearTimeout(debounceTimer);
    debounceTimer = setTimeout(search, DEBOUNCE_MS);
  }

  function loadMore() {
    if (!state.q || state.hits.length >= state.total) return;
    var seq = state.seq; // load-more belongs to the current search
    var offset = state.hits.length;
    cancelInFlight();
    var controller = new AbortController();
    state.controller = controller;
    el.loadMore.disabled = true;
    el.loadMore.textContent = 'Loading\u2026';
    el.moreError.hidden = true;
    setLoading(true);
    getJSON(searchUrl(offset), controller.signal).then(function (data) {
      if (seq !== state.seq) return;
      state.controller = null;
      setLoading(false);
      var hits = Array.isArray(data.hits) ? data.hits : [];
      if (typeof data.total_hits === 'number') state.total = data.total_hits;
      if (!hits.length) state.total = state.hits.length; // nothing further: stop offering more
      var frag = document.createDocumentFragment();
      var firstNew = null;
      hits.forEach(function (h) {
        var li = buildHit(h, state.hits.length);
        state.hits.push(h);
        if (!firstNew) firstNew = li.firstChild;
        frag.appendChild(li);
      });
      el.results.appendChild(frag);
      state.tookMs = data.took_ms;
      renderSummary();
      renderMore();
      if (firstNew) selectHit(firstNew);
    }, function (err) {
      if (seq !== state.seq || (err && err.name === 'AbortError')) return;
      state.controller = null;
      setLoading(false);
      renderMore();
      el.loadMore.textContent = 'Try loading more again';
      el.moreError.textContent = err.message;
      el.moreError.hidden = false;
    });
  }

  // ------------------------------------------------------ keyboard + focus

  function hitLinks() { return Array.prototype.slice.call(el.results.querySelectorAll('a.hit')); }

  function selectHit(a) {
    hitLinks().forEach(function (x) {
      var on = x === a;
      x.classList.toggle('is-selected', on);
      if (on) x.setAttribute('aria-current', 'true'); else x.removeAttribute('aria-current');
    });
    if (a) {
      a.focus();
      a.scrollIntoView({ block: 'nearest' });
    }
  }

  function moveSelection(delta) {
    var links = hitLinks();
    if (!links.length) return;
    var i = links.indexOf(document.activeElement);
    var next = i + delta;
    if (i === -1) next = delta > 0 ? 0 : links.length - 1;
    if (next < 0) {
      selectHit(null);
      el.q.focus();
      return;
    }
    if (next >= links.length) {
      if (!el.more.hidden) el.loadMore.focus();
      return;
    }
    selectHit(links[next]);
  }

  function isTypingTarget(t) {
    if (!t || !t.tagName) return false;
    var tag = t.tagName.toLowerCase();
    if (tag === 'textarea' || t.isContentEditable) return true;
    if (tag === 'input') {
      var type = (t.type || 'text').toLowerCase();
      return ['button', 'checkbox', 'radio', 'submit', 'reset', 'range', 'color'].indexOf(type) === -1;
    }
    return false;
  }

  document.addEventListener('keydown', function (e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === '/' && !el.panel.open && !isTypingTarget(e.target)) {
      e.preventDefault();
      el.q.focus();
      el.q.select();
    }
  });

  el.q.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowDown') {
      var links = hitLinks();
      if (links.length && !el.resultsSection.hidden) {
        e.preventDefault();
        selectHit(links[0]);
      }
    } else if (e.key === 'Escape' && el.q.value) {
      e.preventDefault();
      el.q.value = '';
      search();
    }
  });

  el.results.addEventListener('keydown', function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    switch (e.key) {
      case 'ArrowDown': e.preventDefault(); moveSelection(1); break;
      case 'ArrowUp': e.preventDefault(); moveSelection(-1); break;
      case 'Home': e.preventDefault(); selectHit(hitLinks()[0]); break;
      case 'End': e.preventDefault(); var l = hitLinks(); selectHit(l[l.length - 1]); break;
      case ' ':
        if (e.target.classList && e.target.classList.contains('hit')) { e.preventDefault(); e.target.click(); }
        break;
      default:
        // Typing a character while on a result goes back to the search box.
        if (e.key.length === 1 && e.key !== '/') el.q.focus();
    }
  });

  el.results.addEventListener('focusin', function (e) {
    var a = e.target.closest && e.target.closest('a.hit');
    if (a) {
      hitLinks().forEach(function (x) {
        x.classList.toggle('is-selected', x === a);
        if (x === a) x.setAttribute('aria-current', 'true'); else x.removeAttribute('aria-current');
      });
    }
  });

  el.results.addEventListener('click', function (e) {
    var a = e.target.closest && e.target.closest('a.hit');
    if (!a) return;
    // Let the browser open a new tab/window for modified clicks.
    if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    var hit = state.hits[Number(a.getAttribute('data-index'))];
    if (hit) openPanel(hit, a);
  });

  el.loadMore.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowUp') { e.preventDefault(); var l = hitLinks(); selectHit(l[l.length - 1]); }
  });

  // ----------------------------------------------------------------- panel

  function renderPassageBody(text) {
    el.panelBody.textContent = '';
    var re = termRegex();
    String(text || '').split(/\n[ \t]*\n+/).forEach(function (block) {
      if (!block.trim()) return;
      var p = document.createElement('p');
      appendHighlighted(p, block.replace(/^\n+|\s+$/g, ''), re);
      el.panelBody.appendChild(p);
    });
  }

  function fillPanel(p) {
    fillBadge(el.panelBadge, p.category);
    el.panelKind.textContent = KIND_LABELS[p.kind] || '';
    el.panelTitle.textContent = p.title || p.path || 'Passage';
    var hs = (p.headings || []).filter(Boolean);
    el.panelHeadings.textContent = hs.join(' \u203a ');
    el.panelHeadings.hidden = !hs.length;
    fillCitation(el.panelCitation, p);
    if (typeof p.text === 'string') renderPassageBody(p.text);
  }

  function openPanel(hitOrId, fromLink) {
    var id = typeof hitOrId === 'string' ? hitOrId : hitOrId.id;
    var seq = ++panelSeq;
    panelReturnFocus = fromLink || document.activeElement;
    el.panelStatus.textContent = '';
    el.panel.classList.remove('is-missing');

    if (typeof hitOrId === 'string') {
      panelHit = { id: id };
      el.panelTitle.textContent = 'Loading passage\u2026';
      el.panelHeadings.textContent = '';
      el.panelCitation.textContent = '';
      el.panelBadge.hidden = true;
      el.panelKind.textContent = '';
      el.panelBody.textContent = '';
    } else {
      panelHit = hitOrId;
      fillPanel(hitOrId); // instant from the search hit; refreshed below
    }
    el.panel.setAttribute('aria-busy', 'true');
    if (!el.panel.open) {
      if (typeof el.panel.showModal === 'function') el.panel.showModal();
      else el.panel.setAttribute('open', '');
    }
    document.documentElement.classList.add('panel-open');
    el.panelClose.focus();
    syncUrl();

    getJSON('/passages/' + encodeURIComponent(id)).then(function (p) {
      if (seq !== panelSeq) return;
      el.panel.removeAttribute('aria-busy');
      panelHit = p;
      fillPanel(p);
    }, function (err) {
      if (seq !== panelSeq) return;
      el.panel.removeAttribute('aria-busy');
      if (err.status === 404) {
        el.panelStatus.textContent = 'This passage is no longer in the index; it may have changed since you searched.';
        if (typeof hitOrId === 'string') {
          el.panelTitle.textContent = 'Passage not found';
          el.panel.classList.add('is-missing');
        }
      } else {
        el.panelStatus.textContent = 'Could not load the full passage: ' + err.message;
        if (typeof hitOrId === 'string') el.panelTitle.textContent = 'Passage unavailable';
      }
    });
  }

  function closePanel() {
    if (el.panel.open) el.panel.close();
  }

  el.panel.addEventListener('close', function () {
    panelSeq++;
    panelHit = null;
    document.documentElement.classList.remove('panel-open');
    syncUrl();
    var back = panelReturnFocus;
    panelReturnFocus = null;
    if (back && document.contains(back) && typeof back.focus === 'function') back.focus();
  });
  el.panelClose.addEventListener('click', closePanel);
  // Click on the backdrop (outside the panel box) closes it.
  el.panel.addEventListener('click', function (e) { if (e.target === el.panel) closePanel(); });
  el.panel.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') { e.preventDefault(); closePanel(); }
  });

  function copyText(text, button, label) {
    var done = function (ok) {
      button.textContent = ok ? 'Copied' : 'Copy failed';
      setTimeout(function () { button.textContent = label; }, 1600);
    };
    var fallback = function () {
      var ta = document.createElement('textarea');
      ta.value = text;
      ta.setAttribute('readonly', '');
      ta.style.position = 'fixed';
      ta.style.opacity = '0';
      el.panel.appendChild(ta);
      ta.select();
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      ta.remove();
      done(ok);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
    } else {
      fallback();
    }
  }

  el.copyCite.addEventListener('click', function () {
    if (!panelHit || !panelHit.path) return;
    copyText((panelHit.title ? panelHit.title + ', ' : '') + citationText(panelHit), el.copyCite, 'Copy citation');
  });
  el.copyLink.addEventListener('click', function () {
    if (!panelHit) return;
    copyText(new URL(hitHref(panelHit.id), window.location.href).href, el.copyLink, 'Copy link to passage');
  });

  // ------------------------------------------------------- other controls

  el.form.addEventListener('submit', function (e) {
    e.preventDefault();
    search();
    // On touch screens, "Search" on the keyboard hides it to reveal results.
    if (window.matchMedia && window.matchMedia('(pointer: coarse)').matches) el.q.blur();
  });
  el.q.addEventListener('input', scheduleSearch);
  el.q.addEventListener('input', scheduleSuggest);
  el.category.addEventListener('change', function () { search(); });
  el.facetChips.addEventListener('click', function (e) {
    var b = e.target.closest ? e.target.closest('button.facet-chip') : null;
    if (!b) return;
    var cat = b.getAttribute('data-category') || '';
    if (cat) ensureCategoryOption(cat);
    el.category.value = cat;
    search();
  });
  el.retry.addEventListener('click', function () { search(); });
  el.loadMore.addEventListener('click', loadMore);
  el.noneAll.addEventListener('click', function () {
    el.category.value = '';
    search();
    el.q.focus();
  });
  Array.prototype.forEach.call(document.querySelectorAll('.chip[data-query]'), function (chip) {
    chip.addEventListener('click', function () {
      el.q.value = chip.getAttribute('data-query');
      search();
      el.q.focus();
    });
  });

  // ---------------------------------------------------------- stats/filter

  function ensureCategoryOption(value) {
    if (!value) return;
    var exists = Array.prototype.some.call(el.category.options, function (o) { return o.value === value; });
    if (!exists) el.category.appendChild(new Option(categoryLabel(value), value));
  }

  function loadStats() {
    getJSON('/stats').then(function (s) {
      if (s.category_labels && typeof s.category_labels === 'object') CATEGORY_LABELS = s.category_labels;
      var cats = Array.isArray(s.categories) ? s.categories.filter(function (c) { return typeof c === 'string' && c; }) : [];
      var selected = el.category.value;
      while (el.category.options.length > 1) el.category.remove(1);
      cats.forEach(function (c) { el.category.appendChild(new Option(categoryLabel(c), c)); });
      ensureCategoryOption(selected);
      el.category.value = selected;
      el.categoryWrap.hidden = el.category.options.length <= 1;

      var info = [];
      if (typeof s.files === 'number') info.push(s.files.toLocaleString('en-US') + ' ' + plural(s.files, 'article', 'articles'));
      if (typeof s.passages === 'number') info.push(s.passages.toLocaleString('en-US') + ' ' + plural(s.passages, 'passage', 'passages'));
      if (s.built_at) {
        var d = new Date(s.built_at);
        if (!isNaN(d)) info.push('index built ' + d.toISOString().slice(0, 10));
      }
      if (s.version) info.push('v' + s.version);
      el.indexInfo.textContent = info.join(' \u00b7 ');
    }, function () {
      el.categoryWrap.hidden = el.category.options.length <= 1;
    });
  }

  // ------------------------------------------------------------------ init

  function init() {
    var params = new URLSearchParams(window.location.search);
    var q = params.get('q') || '';
    // `section` is the older name of `category` (links made before the rename).
    var category = params.get('category') || params.get('section') || '';
    var p = params.get('p') || '';
    el.categoryWrap.hidden = true;
    ensureCategoryOption(category);
    if (category) { el.category.value = category; el.categoryWrap.hidden = false; }
    loadStats();
    el.q.value = q;
    if (q) {
      search();
    } else {
      show('empty');
      if (!p && window.matchMedia && window.matchMedia('(pointer: fine)').matches) el.q.focus();
    }
    if (p) openPanel(p, el.q);
  }

  init();
})();
