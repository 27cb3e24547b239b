"""Parts of a vendor page for what the vendor does NOT say itself (issue 19): an operator no source names,
a policy searched for and not found, what third parties report, our own dated observations, and Amazon's
rule beside the vendor's stated retention. Each part says whose word it is, so that nothing a third party
or ERP Watch says can be read as the vendor's claim.

Built as strings, like scripts/site/bodies.py (whose escaping helpers these use: `_a` for values, `L.txt` for
record texts, `L.d` for dates, `L.quotes`/`L.cites` for citations); `L` is the page's bodies._Lang.
"""

from __future__ import annotations

from scripts.analysis import yardstick
from scripts.lang import i18n
from scripts.lang.text import pick
from scripts.site import bodies


def head_html(r: dict, L) -> str:
    """Lines for the page head: an unnamed operator, the languages of the vendor's pages, a policy search."""
    T, _a = L.T, bodies._a
    out = []
    if r.get("company_unnamed") and not r.get("company"):
        out.append(f'<p><strong>{T("company")}:</strong> {T("operator_not_named")}</p>')
    if r.get("languages"):
        langs = ", ".join(f'<span lang="{_a(x)}">{_a(i18n.language_name(x, L.lang))}</span>' for x in r["languages"])
        out.append(f'<p><strong>{T("languages_of_pages")}:</strong> {langs}</p>')
    ps = r.get("policy_search")
    if isinstance(ps, dict):
        out.append(f'<p class="erp-policy-search"><strong>{T("data_policy")}:</strong> {policy_search_text(ps, L)}')
        if ps.get("note"):  # what was searched, in the record's words
            out.append(f'<br><small>{L.txt(ps["note"])}</small>')
        out.append("</p>")
    return "".join(out)


def policy_search_text(ps: dict, L) -> str:
    """"No published data policy found (searched as of DATE)": never "has no policy"."""
    return f'{L.T("policy_not_found")} ({L.T("searched_as_of")} {L.d(ps.get("searched"))})'


def _publishers(citations, L) -> str:
    """The publishers of the cited sources, each named once, in the page's language."""
    names = []
    for cit in citations or ():
        src = L.view.sources_by_id.get(cit.get("source"), {})
        name = str(pick(src.get("publisher"), L.lang) or cit.get("source") or "")
        if name and name not in names:
            names.append(name)
    return ("、" if L.lang == "zh" else ", ").join(bodies._a(n) for n in names)


def reports_html(r: dict, L) -> str:
    """What third parties report: each labelled "According to <publisher> (third party)"."""
    reps = r.get("reports") or []
    if not reps:
        return ""
    _a, T = bodies._a, L.T
    out = [bodies.heading(2, "reports", i18n.t("third_party_reports", L.lang), L.lang),
           f'\n\n<div class="erp-reports"><p class="erp-note"><small>{T("reports_intro")}</small></p>']
    for rep in reps:
        who = _publishers(rep.get("sources"), L)
        label = (f'据{who}({T("third_party")})称' if L.lang == "zh"
                 else f'{T("according_to")} {who} ({T("third_party")})')
        out.append(f'\n<div class="erp-report" id="report-{_a(rep["id"])}"><p><strong>{label}:</strong> '
                   f'{L.txt(rep.get("summary"))} <span class="erp-chip">{T("topic_" + str(rep.get("topic")))}</span></p>'
                   f'\n{L.quotes(rep.get("sources"))}\n</div>')
    out.append("\n</div>\n\n")
    return "".join(out)


def observations_html(r: dict, L) -> str:
    """Our own observations, each labelled "Our observation (as of DATE)"."""
    obs = r.get("observations") or []
    if not obs:
        return ""
    _a, T = bodies._a, L.T
    out = [bodies.heading(2, "observations", i18n.t("our_observations", L.lang), L.lang),
           f'\n\n<div class="erp-observations"><p class="erp-note"><small>{T("observations_intro")}</small></p>']
    for o in obs:
        out.append(f'\n<div class="erp-observation erp-observation-{_a(o.get("kind"))}" id="observation-{_a(o["id"])}">'
                   f'<p><strong>{T("our_observation")} ({T("as_of")} {L.d(o.get("observed"))}):</strong> '
                   f'{L.txt(o.get("text"))}</p>\n{L.quotes(o.get("sources"))}\n</div>')
    out.append("\n</div>\n\n")
    return "".join(out)


def yardstick_html(r: dict, L) -> str:
    """Amazon's rule beside the vendor's stated retention, when both are sourced (scripts/analysis/yardstick.py)."""
    pairs = yardstick.pairs(r)
    if not pairs:
        return ""
    _a, T = bodies._a, L.T
    out = [f'\n<div class="admonition note erp-yardstick"><p class="admonition-title">{T("yardstick_title")}</p>']
    for rule, claims in pairs:
        src = rule["source"]
        label = _a(pick(rule.get("label"), L.lang) or "")
        out.append(f'<p><strong>{_a(pick(rule["title"], L.lang))}</strong> — {label}</p>'
                   f'<blockquote class="erp-quote"><p lang="en">“{_a(rule["quote"])}”</p><footer>— '
                   f'<a href="{bodies._href(src["url"])}" rel="nofollow noopener">{_a(pick(src["publisher"], L.lang))}</a>'
                   f'</footer></blockquote>')
        links = ", ".join(f'<a href="#claim-{_a(c["id"])}">{L.txt(c.get("summary"))}</a>' for c in claims)
        out.append(f'<p>{T("yardstick_vendor_states")}: {links}</p>')
    out.append(f'<p class="erp-note"><small>{T("yardstick_note")}</small></p></div>\n')
    return "".join(out)


def compare_notes(row: dict, lang: str) -> str:
    """Under the vendor's name in the comparison table: a policy searched for and not found, and how many
    third-party reports and observations the page has (generate._compare_row's fields)."""
    _a, t = bodies._a, i18n.t
    out = []
    ps = row.get("policy_search")
    if isinstance(ps, dict):
        out.append(f'<br><small class="erp-policy-search">{_a(t("policy_not_found", lang))} '
                   f'({_a(t("searched_as_of", lang))} {bodies.date_html(ps.get("searched"), lang)})</small>')
    counts = [(row.get("reports") or 0, "n_reports"), (row.get("observations") or 0, "n_observations")]
    shown = [f'{n} {_a(t(key, lang))}' for n, key in counts if n]
    if shown:
        out.append(f'<br><small>{" · ".join(shown)}</small>')
    return "".join(out)
