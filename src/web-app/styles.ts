// The app's one stylesheet, served from /app/assets/app.css (no CDN, no build
// step). Colours keep at least 4.5:1 contrast on their backgrounds; every
// focusable element gets a visible focus ring.
export const APP_CSS = `
:root { --ink: #1f2933; --muted: #52606d; --line: #cbd2d9; --bg: #f5f7fa; --card: #ffffff;
  --accent: #1d4ed8; --accent-ink: #ffffff; --warn-bg: #fff4e5; --warn-ink: #7a3e00; --bad-bg: #fde8e8; --bad-ink: #9b1c1c;
  --ok-bg: #e6f4ea; --ok-ink: #1e5631; --focus: #f59e0b; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: var(--card); padding: .5rem 1rem; }
.skip:focus { left: 1rem; }
header.site { background: var(--ink); color: #fff; padding: .75rem 1.5rem; display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; justify-content: space-between; }
header.site a { color: #fff; }
header.site nav ul { list-style: none; display: flex; gap: 1rem; margin: 0; padding: 0; }
header.site nav a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 3px; }
.who { display: flex; gap: .75rem; align-items: center; }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem; }
h1 { margin-top: 0; }
section.panel { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.25rem; margin: 0 0 1.5rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(13rem, 1fr)); gap: 1rem; list-style: none; padding: 0; margin: 0 0 1.5rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem; display: flex; flex-direction: column; gap: .5rem; }
.card.current { border: 2px solid var(--accent); }
.card h3 { margin: 0; }
.price { font-size: 1.4rem; font-weight: 700; margin: 0; }
.muted { color: var(--muted); }
.tag { display: inline-block; font-size: .8rem; font-weight: 700; padding: .1rem .5rem; border-radius: 999px; background: var(--accent); color: var(--accent-ink); }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; margin-top: auto; }
button, .button { font: inherit; cursor: pointer; border-radius: 6px; padding: .45rem .9rem; border: 1px solid var(--accent); background: var(--accent); color: var(--accent-ink); text-decoration: none; display: inline-block; }
button.secondary, .button.secondary { background: var(--card); color: var(--accent); }
button.danger { background: var(--bad-ink); border-color: var(--bad-ink); }
form.inline { display: inline; }
label { display: block; font-weight: 600; margin: .5rem 0 .2rem; }
input, select { font: inherit; padding: .4rem .5rem; border: 1px solid #7b8794; border-radius: 4px; min-width: 12rem; background: #fff; color: var(--ink); }
input[type="checkbox"] { min-width: 0; }
.check label { display: inline; font-weight: 400; }
.field { margin-bottom: .5rem; }
.hint { font-size: .875rem; color: var(--muted); margin: .1rem 0; }
.error { color: var(--bad-ink); font-weight: 600; }
.alert { border-radius: 6px; padding: .75rem 1rem; margin: 0 0 1rem; }
.alert.bad { background: var(--bad-bg); color: var(--bad-ink); border: 1px solid var(--bad-ink); }
.alert.warn { background: var(--warn-bg); color: var(--warn-ink); border: 1px solid var(--warn-ink); }
.alert.ok { background: var(--ok-bg); color: var(--ok-ink); border: 1px solid var(--ok-ink); }
.alert a { color: inherit; font-weight: 700; }
.alert a.button { color: var(--accent-ink); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
dialog { position: static; border: 2px solid var(--accent); border-radius: 8px; padding: 1rem 1.25rem; margin: 0 0 1.5rem; background: var(--card); color: var(--ink); max-width: 40rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
ul.reasons li { margin-bottom: .3rem; }
footer.site { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 2rem; color: var(--muted); font-size: .875rem; }
`;

/** Progressive enhancement: the grace countdown ticks (the page already says the same text without it). */
export const COUNTDOWN_JS = `
(function () {
  function unit(n, w) { return n + ' ' + w + (n === 1 ? '' : 's'); }
  function left(ms) {
    if (ms <= 0) return null;
    var m = Math.floor(ms / 60000), d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60), mi = m % 60;
    if (d > 0) return h > 0 ? unit(d, 'day') + ' ' + unit(h, 'hour') : unit(d, 'day');
    if (h > 0) return mi > 0 ? unit(h, 'hour') + ' ' + unit(mi, 'minute') : unit(h, 'hour');
    return mi > 0 ? unit(mi, 'minute') : 'less than a minute';
  }
  function tick() {
    document.querySelectorAll('[data-countdown-end]').forEach(function (el) {
      var text = left(Date.parse(el.getAttribute('data-countdown-end')) - Date.now());
      el.textContent = text === null ? 'no time: the grace window has ended (reload)' : text;
    });
  }
  setInterval(tick, 30000);
})();
`;
