// The page's own style and script. Their SHA-256 hashes go into the page's Content-Security-Policy,
// so these two blocks are the only style and script the page will run, whatever a mirror's text holds.

export const PAGE_STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1a1a1a;background:#fff}
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:1.2em 0 .4em}
.meta{color:#555;margin:0 0 1em}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3;cursor:pointer;user-select:none;white-space:nowrap}
th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
td.num{text-align:right;white-space:nowrap}
.tag{font-size:.8em;border:1px solid #888;border-radius:3px;padding:0 .3em;margin-left:.3em}
.band{white-space:nowrap;font-weight:600}
.cells{white-space:nowrap;font-family:monospace}
.cell{display:inline-block;width:1.3em;text-align:center;margin-right:1px;border-radius:2px}
.band-fresh{background:#b7e4b0;color:#0b4d00}.band-oldish{background:#fde9a6;color:#6b4c00}
.band-old{background:#f7c09a;color:#7a2e00}.band-bad{background:#f3a3a3;color:#700}
.band-suspect{background:#ddd;color:#333}
.text{max-width:28em;overflow-wrap:anywhere}
.legend span{margin-right:1em}
svg text{font:11px system-ui,sans-serif;fill:#333}
`;

export const PAGE_SCRIPT = `
(function () {
  var table = document.getElementById('mirrors');
  var body = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;
  function key(row, index) { var cell = row.cells[index]; return cell.getAttribute('data-sort') || cell.textContent; }
  Array.prototype.forEach.call(heads, function (th, index) {
    th.addEventListener('click', function () {
      var ascending = th.getAttribute('aria-sort') !== 'ascending';
      var rows = Array.prototype.slice.call(body.rows);
      var numeric = rows.every(function (row) { var k = key(row, index); return k === '' || !isNaN(Number(k)); });
      rows.sort(function (a, b) {
        var x = key(a, index), y = key(b, index);
        if (numeric) { x = x === '' ? Infinity : Number(x); y = y === '' ? Infinity : Number(y); return ascending ? x - y : y - x; }
        return ascending ? x.localeCompare(y) : y.localeCompare(x);
      });
      Array.prototype.forEach.call(heads, function (other) { other.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
})();
`;
