'use strict';
/* kentongan's default USSD menu (etc/menu.json) written the way an
 * aggregator's customers commonly write one: ussd-menu-builder states on
 * Node.js, the session in Redis through the library's sessionConfig hooks
 * (start/get/set/end), a plain http server answering POST /ussd with the
 * same form fields and CON/END answers as kentongan.
 *
 * It is the comparison (b) of tests/bench/bench_ussd.c, not a second
 * implementation: it has the screens the benchmark walks (complaint up to
 * "Batal", subscription up to "Batal", status check up to a refused ticket
 * number, the information pages) and the navigation around them (98 more,
 * 0 back, 00 home, refused input), with the titles, prompts, texts and lists
 * of etc/menu.json and data/, paged to the same 182 characters; bench_ussd
 * checks that it answers as kentongan does. Leaf actions ("1 Ya") only
 * answer a fixed END: nothing is filed or sent.
 *
 *   node server.js --port PORT --redis /path/redis.sock --root KENTONGAN_ROOT
 *
 * One process, one Redis connection (node-redis pipelines the commands of
 * concurrent requests on it). The library keeps a request's arguments and
 * result on the UssdMenu instance, so the single shared instance of its
 * README mixes up concurrent requests once the session hooks await Redis:
 * each request here takes an instance of its own from a pool (built once,
 * reused when its answer is out), the cheapest correct way. */
const http = require('http');
const fs = require('fs');
const path = require('path');
const UssdMenu = require('ussd-menu-builder');
const { createClient } = require('redis');

function arg(name, dflt) {
    const i = process.argv.indexOf('--' + name);
    return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const PORT = Number(arg('port', '8090'));
const REDIS = arg('redis', '/tmp/redis.sock');
const ROOT = arg('root', path.join(__dirname, '..', '..', '..'));
const TTL = 180; /* seconds, like kentongan's ussd_session_ttl */

/* ---- the menu's texts and data ------------------------------------------ */

const nodes = JSON.parse(fs.readFileSync(path.join(ROOT, 'etc/menu.json'), 'utf8')).nodes;

function csv(file) {
    const lines = fs.readFileSync(path.join(ROOT, 'data', file), 'utf8').split('\n').filter(Boolean);
    const head = lines.shift().split(',');
    return lines.map((l) => {
        const f = l.split(',');
        return Object.fromEntries(head.map((h, i) => [h, f[i]]));
    });
}
const categories = csv('kategori.csv').map((r) => r.kategori);
const wilayah = csv('batang-wilayah.csv').filter((r) => r.jenis === 'desa' || r.jenis === 'kelurahan');
const byName = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const kecamatan = [...new Set(wilayah.map((r) => r.kecamatan))].sort(byName);
const desaOf = {};
for (const k of kecamatan)
    desaOf[k] = wilayah.filter((r) => r.kecamatan === k).map((r) => r.nama).sort(byName);

/* ---- screens: kentongan's layout (182 characters, navigation line) ------- */

const WIDTH = 182;
const RESERVE = 21; /* an error line */
const HINT_MAX = 27; /* "98 Lanjut 0 Kembali 00 Awal" */
const NAV = '0 Kembali 00 Awal';

function hint(more, nav) {
    return more && nav ? '98 Lanjut ' + NAV : more ? '98 Lanjut' : nav ? NAV : '';
}

/* Page `page` of a numbered list: [first, end) of items. */
function listPage(title, items, page) {
    const budget = WIDTH - RESERVE - (title.length + 1) - HINT_MAX;
    let i = 0;
    for (let p = 0; i < items.length; p++) {
        const start = i;
        let used = 0;
        while (i < items.length) {
            const line = String(i + 1).length + 1 + items[i].length + 1;
            if (i > start && used + line > budget) break;
            used += line;
            i++;
        }
        if (p === page) return { start, end: i };
    }
    return null;
}

function listScreen(title, items, page, nav = true) {
    const pg = listPage(title, items, page);
    if (pg === null) return 'Tidak ada lanjutan.\n' + hint(false, nav);
    const lines = [title];
    for (let i = pg.start; i < pg.end; i++) lines.push(`${i + 1} ${items[i]}`);
    const h = hint(pg.end < items.length, nav);
    if (h) lines.push(h);
    return lines.join('\n');
}

/* Page `page` of a text: ends at a line break in its second half, else
 * after the last word that fits. */
function textPages(title, text) {
    const pages = [];
    let i = 0;
    for (let p = 0; ; p++) {
        const budget = WIDTH - RESERVE - (p === 0 ? title.length + 1 : 0) - 1 - HINT_MAX;
        while (i < text.length && /\s/.test(text[i])) i++;
        if (i >= text.length && p > 0) return pages;
        const from = i;
        let brk = 0, nl = 0, nlUsed = 0, used = 0;
        while (i < text.length) {
            if (used + 1 > budget && i > from) break;
            if (/\s/.test(text[i])) brk = i;
            if (text[i] === '\n') {
                nl = i;
                nlUsed = used;
            }
            used++;
            i++;
        }
        if (i < text.length && nl > from && nlUsed * 2 >= budget) i = nl;
        else if (i < text.length && !/\s/.test(text[i]) && brk > from) i = brk;
        pages.push(text.slice(from, i).trimEnd());
        if (i >= text.length) return pages;
    }
}

/* ---- the menu ------------------------------------------------------------ */

const home = nodes.home;
const homeScreen = [home.title, ...home.options.map((o, i) => `${i + 1} ${o.label}`)].join('\n');
const inputError = (n) => (n.digits ? `Masukkan ${n.min}-${n.max} angka.` : `Masukkan ${n.min}-${n.max} huruf.`);
const DONE = 'Dibatalkan. Tidak ada yang dikirim.';
const NOT_BENCHED = 'Terima kasih. (Benchmark: tidak ada yang dikirim.)';

function pick(items, val) {
    const n = Number(val);
    return Number.isInteger(n) && n >= 1 && n <= items.length ? items[n - 1] : null;
}

/* Builds the states on a new UssdMenu (one per request in flight, see above). */
function buildMenu(redis) {
    const menu = new UssdMenu();
    menu.fail = null; /* the request's error answer */
    menu.on('error', (e) => {
        console.error('menu:', e.message);
        if (menu.fail) menu.fail();
    });
    const key = (id) => 'ussd:' + id;
    menu.sessionConfig({
        /* bind the session to its number and keep it alive: one round trip */
        start: (id) => redis.multi().hSetNX(key(id), 'phone', menu.args.phoneNumber).expire(key(id), TTL).exec(),
        get: (id, k) => redis.hGet(key(id), k),
        set: (id, k, v) => redis.hSet(key(id), k, v),
        end: (id) => redis.del(key(id)),
    });
    const nav = { 0: '__start__', '00': '__start__' };

    menu.startState({
        run: () => menu.con(homeScreen),
        next: { 1: 'lapor_kategori', 2: 'cek', 3: 'daftar_kecamatan', 4: 'berhenti', 5: 'info' },
    });

    /* A list of numbered items over pages (98 next, 0 back, a number goes
     * on). Its first page is entered with the choice made on the screen
     * before: enter() stores it and returns the items, or null when there is
     * no such choice; later pages, and the first one come back to with 0,
     * get them from items(). */
    function list(name, title, { enter, items, pages, onward, back }) {
        for (let p = 0; p < pages; p++) {
            const id = p === 0 ? name : `${name}#${p}`;
            menu.state(id, {
                run: async () => {
                    const its = p === 0 && menu.val !== '0' ? await enter() : await items();
                    if (!its) return menu.end('Pilihan tidak ada.');
                    menu.con(listScreen(title, its, p));
                },
                next: {
                    98: p + 1 < pages ? `${name}#${p + 1}` : id,
                    0: p === 0 ? back : p === 1 ? name : `${name}#${p - 1}`,
                    '00': '__start__',
                    '*^[1-9][0-9]{0,2}$': onward,
                },
            });
        }
    }
    const pagesOf = (title, ...lists) =>
        Math.max(...lists.map((its) => {
            let n = 0;
            while (listPage(title, its, n)) n++;
            return n;
        }));
    const allDesa = Object.values(desaOf);
    const choose = (its, key) => async () => {
        const v = pick(its, menu.val);
        if (v === null) return null;
        await menu.session.set(key, v);
        return v;
    };
    const desaOfChosen = async () => desaOf[await menu.session.get('kecamatan')] || [];

    /* complaint: category, kecamatan, desa, text, confirm */
    const kat = nodes.lapor_kategori, kec = nodes.lapor_kecamatan, desa = nodes.lapor_desa;
    const isi = nodes.lapor_isi, kirim = nodes.lapor_kirim;
    list('lapor_kategori', kat.title, {
        enter: () => categories,
        items: () => categories,
        pages: pagesOf(kat.title, categories),
        onward: 'lapor_kecamatan',
        back: '__start__',
    });
    list('lapor_kecamatan', kec.title, {
        enter: async () => ((await choose(categories, 'category')()) ? kecamatan : null),
        items: () => kecamatan,
        pages: pagesOf(kec.title, kecamatan),
        onward: 'lapor_desa',
        back: 'lapor_kategori',
    });
    list('lapor_desa', desa.title, {
        enter: async () => {
            const k = await choose(kecamatan, 'kecamatan')();
            return k && desaOf[k];
        },
        items: desaOfChosen,
        pages: pagesOf(desa.title, ...allDesa),
        onward: 'lapor_isi',
        back: 'lapor_kecamatan',
    });
    menu.state('lapor_isi', {
        run: async () => {
            if (menu.val !== '0') {
                const k = await menu.session.get('kecamatan');
                const d = k && pick(desaOf[k] || [], menu.val);
                if (!d) return menu.end('Pilihan tidak ada.');
                await menu.session.set('desa', d);
            }
            menu.con(isi.prompt + '\n' + NAV);
        },
        next: { ...nav, 0: 'lapor_desa', [`*^[\\s\\S]{${isi.min},${isi.max}}$`]: 'lapor_kirim' },
        defaultNext: 'lapor_isi_salah',
    });
    menu.state('lapor_isi_salah', {
        run: () => menu.con(inputError(isi) + '\n' + isi.prompt + '\n' + NAV),
        next: { ...nav, 0: 'lapor_desa', [`*^[\\s\\S]{${isi.min},${isi.max}}$`]: 'lapor_kirim' },
    });
    menu.state('lapor_kirim', {
        run: async () => {
            await menu.session.set('text', menu.val);
            const [c, d] = await Promise.all([menu.session.get('category'), menu.session.get('desa')]);
            const show = [`Jenis: ${c}`, `Desa: ${d}`, `Isi: ${menu.val}`];
            menu.con([kirim.title, ...show, '1 Ya 2 Batal', NAV].join('\n'));
        },
        next: { ...nav, 0: 'lapor_isi', 1: 'terkirim', 2: 'batal' },
    });

    /* status check: a ticket number of 6-10 digits */
    const cek = nodes.cek;
    const ticket = `*^[0-9]{${cek.min},${cek.max}}$`;
    menu.state('cek', {
        run: () => menu.con(cek.prompt + '\n' + NAV),
        next: { ...nav, [ticket]: 'terkirim' },
        defaultNext: 'cek_salah',
    });
    menu.state('cek_salah', {
        run: () => menu.con(inputError(cek) + '\n' + cek.prompt + '\n' + NAV),
        next: { ...nav, [ticket]: 'terkirim' },
    });

    /* subscription: kecamatan, desa, confirm */
    const dk = nodes.daftar_kecamatan, dd = nodes.daftar_desa, ok = nodes.daftar_ok;
    list('daftar_kecamatan', dk.title, {
        enter: () => kecamatan,
        items: () => kecamatan,
        pages: pagesOf(dk.title, kecamatan),
        onward: 'daftar_desa',
        back: '__start__',
    });
    list('daftar_desa', dd.title, {
        enter: async () => {
            const k = await choose(kecamatan, 'kecamatan')();
            return k && desaOf[k];
        },
        items: desaOfChosen,
        pages: pagesOf(dd.title, ...allDesa),
        onward: 'daftar_ok',
        back: 'daftar_kecamatan',
    });
    menu.state('daftar_ok', {
        run: async () => {
            const k = await menu.session.get('kecamatan');
            const d = k && pick(desaOf[k] || [], menu.val);
            if (!d) return menu.end('Pilihan tidak ada.');
            await menu.session.set('desa', d);
            menu.con([ok.title, `Desa: ${d}`, `Kec: ${k}`, '1 Ya 2 Batal', NAV].join('\n'));
        },
        next: { ...nav, 0: 'daftar_desa', 1: 'terkirim', 2: 'batal' },
    });
    menu.state('berhenti', {
        run: () => menu.con([nodes.berhenti.title, '1 Ya 2 Batal', NAV].join('\n')),
        next: { ...nav, 1: 'terkirim', 2: 'batal' },
    });

    /* information: a menu of pages, each paged with 98 */
    const info = nodes.info;
    menu.state('info', {
        run: () => menu.con([info.title, ...info.options.map((o, i) => `${i + 1} ${o.label}`), NAV].join('\n')),
        next: Object.fromEntries([...info.options.map((o, i) => [i + 1, o.goto]), ['0', '__start__'], ['00', '__start__']]),
    });
    for (const o of info.options) {
        const pg = nodes[o.goto];
        const pages = textPages(pg.title, pg.text);
        pages.forEach((text, p) => {
            const id = p === 0 ? o.goto : `${o.goto}#${p}`;
            menu.state(id, {
                run: () =>
                    menu.con((p === 0 ? pg.title + '\n' : '') + text + '\n' + hint(p + 1 < pages.length, true)),
                next: {
                    98: p + 1 < pages.length ? `${o.goto}#${p + 1}` : 'tidak_ada_lanjutan',
                    0: p === 0 ? 'info' : p === 1 ? o.goto : `${o.goto}#${p - 1}`,
                    '00': '__start__',
                },
            });
        });
    }
    menu.state('tidak_ada_lanjutan', {
        run: () => menu.con('Tidak ada lanjutan.\n' + NAV),
        next: nav,
    });

    menu.state('batal', { run: () => menu.end(DONE) });
    menu.state('terkirim', { run: () => menu.end(NOT_BENCHED) });
    return menu;
}

/* ---- HTTP ----------------------------------------------------------------- */

async function main() {
    const redis = createClient({ socket: { path: REDIS } });
    redis.on('error', (e) => console.error('redis:', e.message));
    await redis.connect();
    const pool = [];

    const server = http.createServer((req, res) => {
        if (req.method !== 'POST' || req.url !== '/ussd') {
            res.writeHead(req.url === '/healthz' ? 200 : 404, { 'Content-Type': 'text/plain' });
            res.end(req.url === '/healthz' ? 'ok\n' : 'not found\n');
            return;
        }
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
            const f = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
            const args = {
                sessionId: f.get('sessionId') || '',
                serviceCode: f.get('serviceCode') || '',
                phoneNumber: f.get('phoneNumber') || '',
                text: f.get('text') || '',
            };
            const reply = (body) => {
                res.writeHead(200, {
                    'Content-Type': 'text/plain; charset=utf-8',
                    'Content-Length': Buffer.byteLength(body), /* not chunked, as Express does */
                });
                res.end(body);
            };
            if (!args.sessionId || !args.phoneNumber) return reply('END Maaf, permintaan tidak dapat dibaca.');
            const menu = pool.pop() || buildMenu(redis);
            menu.fail = () => {
                /* an instance that failed is not reused */
                menu.fail = null;
                if (!res.headersSent) reply('END Maaf, layanan sedang sibuk. Silakan coba lagi sebentar lagi.');
            };
            menu.run(args).then((answer) => {
                reply(answer);
                if (menu.fail) {
                    menu.fail = null;
                    pool.push(menu);
                }
            });
        });
    });
    server.keepAliveTimeout = 60000;
    server.listen(PORT, '127.0.0.1', () => console.log(`ussd-node: listening on 127.0.0.1:${PORT}`));
    const stop = () => server.close(() => redis.quit().finally(() => process.exit(0)));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
}

main().catch((e) => {
    console.error('ussd-node:', e.message);
    process.exit(1);
});
