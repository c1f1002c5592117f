/**
 * A corpus of hostile agent texts for e2e/hostile.spec.ts. Every payload that could run code sets
 * `window.__xss` (or calls `alert`/`confirm`/`prompt`, which the spec watches as dialogs), so a
 * payload that ran leaves a trace the spec can see. Each entry is sent verbatim by the agent and
 * must be shown verbatim, as text.
 *
 * Groups: script tags, <img>/<svg>/media error and load handlers, event-handler attributes,
 * javascript:/data:/vbscript: links in many spellings (case, entities, whitespace, control
 * characters, null bytes), CSS tricks, template/mustache syntax, markdown links, unicode
 * bidi/zero-width/lookalike tricks, HTML entities and comments, and very long strings.
 */

const FLAG = 'window.__xss=1';

const scriptTags = [
  `<script>${FLAG}</script>`,
  `<SCRIPT>${FLAG}</SCRIPT>`,
  `<script>alert(1)</script>`,
  `<script src="data:text/javascript,${FLAG}"></script>`,
  `<script/src=data:,${FLAG}></script>`,
  `<script type="module">${FLAG}</script>`,
  `<scr<script>ipt>${FLAG}</scr</script>ipt>`,
  `"><script>${FLAG}</script>`,
  `'><script>${FLAG}</script>`,
  `</textarea><script>${FLAG}</script>`,
  `</p></li></ol><script>${FLAG}</script>`,
  `<!--<script>-->${FLAG}<!--</script>-->`,
  `<script\x20type="text/javascript">${FLAG}</script>`,
  `<<script>script>${FLAG}<</script>/script>`,
  `<noscript><p title="</noscript><img src=x onerror=${FLAG}>">`,
];

const imagesAndMedia = [
  `<img src=x onerror=${FLAG}>`,
  `<IMG SRC=x ONERROR="${FLAG}">`,
  `<img src="x" onerror="javascript:${FLAG}">`,
  `<img/src=x/onerror=${FLAG}>`,
  `<img src=x onerror=&#119;indow.__xss=1>`,
  '<img src=`x`onerror=window.__xss=1>',
  `<img src=x:alert(alt) onerror=eval(src) alt=0>`,
  `<image src=x onerror=${FLAG}>`,
  `<img srcset=",,,,x" onerror=${FLAG}>`,
  `<picture><source srcset=x><img src=x onerror=${FLAG}></picture>`,
  `<video><source onerror="${FLAG}"></video>`,
  `<audio src=x onerror=${FLAG}>`,
  `<video poster=javascript:${FLAG}>`,
  `<input type=image src=x onerror=${FLAG}>`,
  `<object data="javascript:${FLAG}"></object>`,
  `<embed src="javascript:${FLAG}">`,
];

const svg = [
  `<svg onload=${FLAG}>`,
  `<svg/onload=${FLAG}//`,
  `<svg><script>${FLAG}</script></svg>`,
  `<svg><animate onbegin=${FLAG} attributeName=x dur=1s>`,
  `<svg><a xlink:href="javascript:${FLAG}"><text x=20 y=20>click</text></a></svg>`,
  `<svg><set attributeName=onmouseover to=${FLAG}>`,
  `<svg><foreignObject><iframe srcdoc="<script>parent.__xss=1</script>"></iframe></foreignObject></svg>`,
  `<math><mtext><table><mglyph><style><img src=x onerror=${FLAG}>`,
  `<math href="javascript:${FLAG}">click</math>`,
  `<svg><use href="data:image/svg+xml,<svg id='x' xmlns='http://www.w3.org/2000/svg'><image href='x' onerror='${FLAG}'/></svg>#x"/></svg>`,
];

const eventHandlers = [
  `<body onload=${FLAG}>`,
  `<div onmouseover="${FLAG}">hover me</div>`,
  `<input autofocus onfocus=${FLAG}>`,
  `<details open ontoggle=${FLAG}>`,
  `<marquee onstart=${FLAG}>x</marquee>`,
  `<iframe onload=${FLAG}></iframe>`,
  `<iframe src="javascript:${FLAG}"></iframe>`,
  `<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>`,
  `<form><button formaction=javascript:${FLAG}>go</button></form>`,
  `<a href=# onclick=${FLAG}>click</a>`,
  `<select autofocus onfocus=${FLAG}>`,
  `<textarea autofocus onfocus=${FLAG}></textarea>`,
  `<style onload=${FLAG}></style>`,
  `<link rel=stylesheet href=x onerror=${FLAG}>`,
  `<meta http-equiv="refresh" content="0;url=javascript:${FLAG}">`,
  `<base href="javascript:${FLAG}//">`,
  `" onmouseover="${FLAG}`,
  `' onfocus='${FLAG}' autofocus='`,
  `<div onpointerenter=${FLAG} style="position:fixed;inset:0">cover</div>`,
  `<x contenteditable onblur=${FLAG}>lose focus</x>`,
  `<button popovertarget=p>x</button><div popover id=p onbeforetoggle=${FLAG}>y</div>`,
];

const links = [
  `javascript:${FLAG}`,
  `JaVaScRiPt:${FLAG}`,
  `  javascript:${FLAG}`,
  `java\tscript:${FLAG}`,
  `java\nscript:${FLAG}`,
  `java\u0000script:${FLAG}`,
  `\u0001javascript:${FLAG}`,
  `&#106;avascript:${FLAG}`,
  `&#x6A;avascript:${FLAG}`,
  `&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058${FLAG}`,
  `javascript&colon;${FLAG}`,
  `jav&#x09;ascript:${FLAG}`,
  `javascript://%0A${FLAG}`,
  `javascript://example.com/%0A${FLAG}`,
  `vbscript:msgbox(1)`,
  `VBScript:MsgBox("xss")`,
  `data:text/html,<script>${FLAG}</script>`,
  `data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==`,
  `DATA:text/html,<script>${FLAG}</script>`,
  `data:image/svg+xml,<svg onload=${FLAG}>`,
  `<a href="javascript:${FLAG}">click me</a>`,
  `<a href="  javascript:${FLAG}">click me</a>`,
  `<a href="jav&#x09;ascript:${FLAG}">click me</a>`,
  `<a href="data:text/html,<script>${FLAG}</script>">click me</a>`,
  `<a href=vbscript:msgbox(1)>click me</a>`,
  `http://javascript:${FLAG}`,
  `https://example.com/"onmouseover="${FLAG}`,
  `https://example.com/'onmouseover='${FLAG}`,
  `mailto:"><script>${FLAG}</script>`,
  `https://example.com/<img src=x onerror=${FLAG}>`,
  `Visit https://example.com/path?q=<script>${FLAG}</script>, thanks`,
  `See HTTPS://EXAMPLE.COM/Case and http://example.com/#javascript:${FLAG}.`,
  `Write to mailto:help@example.com or (https://example.com/help).`,
  `https://user:pass@example.com:8443/a/b?c=d&e=f#g`,
  `feed:javascript:${FLAG}`,
  `jar:javascript:${FLAG}`,
];

const css = [
  `<style>@import 'javascript:${FLAG}';</style>`,
  `<div style="background:url(javascript:${FLAG})">bg</div>`,
  `<div style="width:expression(${FLAG})">ie</div>`,
  `<style>*{background:url("data:image/svg+xml,<svg onload=${FLAG}>")}</style>`,
  `<link rel=stylesheet href="data:text/css,*{color:red}">`,
  `<div style="behavior:url(x.htc);-moz-binding:url(x.xml#xss)">old</div>`,
  `</style><script>${FLAG}</script>`,
  `<style>:host{display:none!important}</style>`,
  `x{}</style><img src=x onerror=${FLAG}>`,
];

const templates = [
  `{{constructor.constructor('${FLAG}')()}}`,
  '${window.__xss=1}',
  `<%= ${FLAG} %>`,
  `{{7*7}} [[7*7]] #{7*7}`,
  `{{{<img src=x onerror=${FLAG}>}}}`,
  `<template><script>${FLAG}</script></template>`,
  `{% raw %}<script>${FLAG}</script>{% endraw %}`,
  `__proto__[innerHTML]=<img src=x onerror=${FLAG}>`,
  `{"__proto__":{"innerHTML":"<img src=x onerror=${FLAG}>"}}`,
];

const markdown = [
  `[click](javascript:${FLAG})`,
  `![x](x" onerror="${FLAG})`,
  `[a](data:text/html,<script>${FLAG}</script>)`,
  `<javascript:${FLAG}>`,
  `[x](https://example.com "title\\" onmouseover=\\"${FLAG}")`,
  `**bold** _italic_ \`code\` ~~strike~~ # not a heading`,
  `[ok](https://example.com/docs)`,
  `[x]: javascript:${FLAG}\n[click][x]`,
];

const unicode = [
  `\u202Egnp.exe`,
  `\u200Bjavascript:${FLAG}`,
  `java\u200Bscript:${FLAG}`,
  `\uFEFF<script>${FLAG}</script>`,
  `line\u2028separator\u2029paragraph`,
  `Z\u0351\u0352\u0357\u030D\u0305\u0363\u036B\u0304a\u0351\u0363l\u0357g\u0352o`,
  `\uFF1Cscript\uFF1E${FLAG}\uFF1C/script\uFF1E`,
  `\uFF1Cimg src=x onerror=${FLAG}\uFF1E`,
  `https://ex\u0430mple.com/login`,
  `\u2066\u2067\u2068\u2069\u200E\u200F\u061C mixed bidi`,
  `emoji 😀👩🏽‍💻🏳️‍🌈 and 𝔲𝔫𝔦𝔠𝔬𝔡𝔢`,
  `NUL\u0000in\u0000the\u0000middle`,
  `\u00A0\u2000\u3000 odd spaces`,
  `<\u0000script>${FLAG}</script>`,
  `\u202Dhttps://example.com/\u202Eevil`,
];

const entities = [
  `&lt;script&gt;${FLAG}&lt;/script&gt;`,
  `&amp;lt;b&amp;gt;double&amp;lt;/b&amp;gt;`,
  `&#60;script&#62;${FLAG}&#60;/script&#62;`,
  `&#x3C;img src=x onerror=${FLAG}&#x3E;`,
  `&nbsp;&copy;&NotAnEntity;&#0;&#xD800;`,
  `\\x3cscript\\x3e${FLAG}\\x3c/script\\x3e`,
  `%3Cscript%3E${FLAG}%3C%2Fscript%3E`,
  `<!-- a comment -->`,
  `<![CDATA[<script>${FLAG}</script>]]>`,
  `<?xml version="1.0"?><x/>`,
  `<!DOCTYPE html><html><head></head><body>page</body></html>`,
  `<b>bold</b> <i>italic</i> <u>under</u>`,
  `<h1>Big</h1><hr><table><tr><td>cell</td></tr></table>`,
];

const longStrings = [
  '<script>'.repeat(1_500),
  'A'.repeat(20_000),
  `https://example.com/${'a'.repeat(4_000)}`,
  `<img src=x onerror=${FLAG}>`.repeat(400),
  `${'\u200B'.repeat(2_000)}javascript:${FLAG}`,
];

export const PAYLOADS: readonly string[] = [
  ...scriptTags,
  ...imagesAndMedia,
  ...svg,
  ...eventHandlers,
  ...links,
  ...css,
  ...templates,
  ...markdown,
  ...unicode,
  ...entities,
  ...longStrings,
];

/** A JWT-shaped string: three base64url parts, the first a JSON header (`eyJ` = `{"`). */
export const JWT_PATTERN = /eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]{4,}/g;
