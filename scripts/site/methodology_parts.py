"""The generated part of the methodology page (en and zh): Amazon's rules as context for the rubric, each
quoted with its source link (reference/amazon-rules.yaml, and the SP-API facts of reference/sp-api.yaml),
and the pending checks: facts not published until something is checked (reference/pending/*.yaml).

Appended to the page's Markdown by the mkdocs hook as HTML blocks; every value is escaped (bodies._a).
"""

from __future__ import annotations

from scripts.analysis import rubric, yardstick
from scripts.lang.text import pick
from scripts.records import incidents
from scripts.records import load as records
from scripts.site import bodies

PAGES = {"methodology.md": "en", "zh/methodology.md": "zh"}

_TEXT = {
    "rules_heading": {"en": "Amazon's rules as context", "zh": "作为背景的亚马逊规则"},
    "rules_intro": {
        "en": "The rubric's questions follow what Amazon itself asks of developers who get sellers' data. Each rule "
              "is quoted from its source; where the source is not Amazon's own page, it says whose text it is. "
              "These rules are context for the reader: ERP Watch does not judge whether a vendor complies.",
        "zh": "透明度评估的问题与亚马逊本身对获取卖家数据的开发者的要求一致。每条规则都引用其来源原文;来源不是亚马逊自己的页面时,"
              "会注明是谁的文本。这些规则仅作为读者的背景信息:ERP Watch 不判断服务商是否合规。"},
    "explains": {"en": "Why the rubric asks", "zh": "对应的评估问题"},
    "sp_api_heading": {"en": "From Amazon's SP-API documentation", "zh": "摘自亚马逊 SP-API 文档"},
    "sp_api_intro": {"en": "How SP-API access is granted (reference/sp-api.yaml, with its sources):",
                     "zh": "SP-API 访问权限如何授予(reference/sp-api.yaml,附来源):"},
    "restricted_roles": {"en": "Restricted roles (they give access to buyers' personal data):",
                         "zh": "受限角色(可访问买家个人数据):"},
    "pending_heading": {"en": "Pending checks", "zh": "待核实事项"},
    "pending_intro": {"en": "Facts that are not published until something is checked, with the reason, so that nothing "
                            "is dropped silently.",
                      "zh": "在核实之前不予发布的事实及其原因,以免任何内容被悄无声息地略去。"},
    "pending_none": {"en": "None at present.", "zh": "目前没有。"},
    "facts_in": {"en": "facts", "zh": "事实来源"},
}


def _t(key: str, lang: str) -> str:
    return bodies._a(_TEXT[key][lang])


def _link(url: str, label: str) -> str:
    return f'<a href="{bodies._href(url)}" rel="nofollow noopener">{bodies._a(label)}</a>'


def _rules_html(lang: str) -> str:
    a = bodies._a
    titles = {q["id"]: pick(q["title"], lang) for q in rubric.questions()}
    out = [f'\n<h2 id="amazon-rules">{_t("rules_heading", lang)}</h2>\n<p>{_t("rules_intro", lang)}</p>\n'
           '<ul class="erp-amazon-rules">']
    for rule in yardstick.rules():
        src = rule["source"]
        label = f' <small>({a(pick(rule["label"], lang))})</small>' if rule.get("label") else ""
        explains = [f'<a href="../rubric/#{a(q)}">{a(titles[q])}</a>' for q in rule.get("rubric") or [] if q in titles]
        out.append(f'\n<li id="rule-{a(rule["id"])}"><p><strong>{a(pick(rule["title"], lang))}</strong></p>'
                   f'<blockquote class="erp-quote"><p>“{a(rule["quote"])}”</p><footer>— '
                   f'{_link(src["url"], str(pick(src["publisher"], lang)))}{label}</footer></blockquote>')
        if explains:
            out.append(f'<p>{_t("explains", lang)}: {", ".join(explains)}</p>')
        out.append("</li>")
    out.append("\n</ul>\n")
    return "".join(out)


def _sp_api_html(lang: str) -> str:
    a = bodies._a
    ref = records.sp_api()
    sources = ref.get("sources") or {}
    out = [f'\n<h3 id="sp-api-rules">{_t("sp_api_heading", lang)}</h3>\n<p>{_t("sp_api_intro", lang)}</p><ul>']
    out += [f"<li>{a(rule)}</li>" for rule in ref.get("rules") or []]
    out.append("</ul>")
    restricted = [r for r in (ref.get("roles") or {}).values() if r.get("restricted")]
    if restricted:
        out.append(f'<p>{_t("restricted_roles", lang)}</p><ul>')
        out += [f'<li><strong>{a(r.get("name"))}</strong>: {a(r.get("description", ""))}</li>' for r in restricted]
        out.append("</ul>")
    out.append("<p>" + " · ".join(_link(url, name.replace("_", " ")) for name, url in sources.items()) + "</p>\n")
    return "".join(out)


def _pending_html(lang: str) -> str:
    a = bodies._a
    found, _problems = incidents.load_pending()  # scripts.validate reports invalid files; they are not listed
    out = [f'\n<h2 id="pending-checks">{_t("pending_heading", lang)}</h2>\n<p>{_t("pending_intro", lang)}</p>\n']
    if not found:
        return "".join(out) + f'<p>{_t("pending_none", lang)}</p>\n'
    out.append('<ul class="erp-pending">')
    for p in found:
        out.append(f'\n<li id="pending-{a(p["slug"])}"><p><strong>{a(p["name"])}</strong> '
                   f'<small>({_t("facts_in", lang)}: {a(p["facts"])})</small></p><p>{a(p["reason"][lang])}</p></li>')
    out.append("\n</ul>\n")
    return "".join(out)


def markdown(lang: str) -> str:
    """What the methodology page in `lang` gets appended: HTML blocks, separated by blank lines."""
    return "\n\n" + _rules_html(lang) + "\n\n" + _sp_api_html(lang) + "\n\n" + _pending_html(lang) + "\n"


def for_page(src_uri: str) -> str | None:
    """The generated part for a page, or None for any page but the methodology page (en, zh)."""
    lang = PAGES.get(src_uri)
    return markdown(lang) if lang else None
