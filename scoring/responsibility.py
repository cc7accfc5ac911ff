"""Area A, responsibility system 責任體系 (plan 4.1)."""

from __future__ import annotations

import numpy as np

from scoring.context import Context, Outcome, texts
from scoring.registry import indicator


@indicator("A1", "4.1", "安全工作領導小組", "safety leadership group")
def a1_leadership_group(ctx: Context) -> Outcome:
    """4.1: a school safety leadership group is set up by formal document."""
    return ctx.yes_no(ctx.checklist_done("安全工作領導小組"), "安全工作領導小組", "safety leadership group",
                      "以正式文件成立安全工作領導小組並在基礎工作表登記", "set up the safety leadership group by formal document")


@indicator("A2", "4.1", "第一責任人與直接責任人", "responsible persons named")
def a2_responsible_persons(ctx: Context) -> Outcome:
    """4.1: the principal is named first responsible person and the deputy in charge direct responsible person."""
    return _both_items(ctx, ("第一責任人", "first responsible person", "明確校長為第一責任人",
                             "name the principal the first responsible person"),
                       ("直接責任人", "direct responsible person", "明確分管副校長為直接責任人",
                        "name the deputy in charge the direct responsible person"),
                       "明確校長為第一責任人、分管副校長為直接責任人",
                       "name the principal first and the deputy direct responsible person")


@indicator("A3", "4.1", "責任清單與風險清單", "responsibility and risk lists")
def a3_lists(ctx: Context) -> Outcome:
    """4.1: a responsibility list and a risk list exist, tied to dual prevention."""
    return _both_items(ctx, ("責任清單", "responsibility list", "建立責任清單", "draw up the responsibility list"),
                       ("風險清單", "risk list", "建立風險清單", "draw up the risk list"), "建立責任清單和風險清單",
                       "draw up the responsibility list and the risk list")


def _both_items(ctx: Context, first: tuple[str, str, str, str], second: tuple[str, str, str, str], action: str,
                action_en: str) -> Outcome:
    """A duty of two checklist items (item, item_en, what to do, what to do in English), done when both are;
    the detail says which is missing (found by an audit: 「第一責任人及直接責任人：未完成」 did not say which),
    and the advice asks for that one alone (a dashboard walk: with 第一責任人 done it asked for both)."""
    done = [ctx.checklist_done(item[0]) for item in (first, second)]
    out = ctx.yes_no(done[0] & done[1], f"{first[0]}及{second[0]}", f"{first[1]} and {second[1]}", action, action_en)
    half = done[0] ^ done[1]
    state = [np.where(d, "已完成", "未完成或未填報") for d in done]
    state_en = [np.where(d, "done", "not done or not reported") for d in done]
    out.frame["detail"] = np.where(half, f"{first[0]}：" + state[0] + f"；{second[0]}：" + state[1],
                                   out.frame["detail"])
    out.frame["detail_en"] = np.where(half, f"{first[1]}: " + state_en[0] + f"; {second[1]}: " + state_en[1],
                                      out.frame["detail_en"])
    out.frame["action"] = np.where(half, np.where(done[0], second[2], first[2]), out.frame["action"])
    out.frame["action_en"] = np.where(half, np.where(done[0], second[3], first[3]), out.frame["action_en"])
    return out


@indicator("A4", "4.1", "文件下發全體教職工", "document issued to all staff")
def a4_document_issued(ctx: Context) -> Outcome:
    """4.1: the formal document is issued to all staff."""
    return ctx.yes_no(ctx.checklist_done("文件下發全體教職工"), "文件下發全體教職工", "document issued to all staff",
                      "將安全責任文件下發全體教職工", "issue the safety document to all staff")


@indicator("A5", "4.1", "安全責任書簽訂", "responsibility agreements signed")
def a5_agreements(ctx: Context) -> Outcome:
    """4.1 層層簽訂安全責任書: every staff member signs a safety responsibility agreement this year."""
    rows = ctx.frame("agreements")
    rows = rows[rows["year"] == ctx.year].drop_duplicates("school_code", keep="last").set_index("school_code")
    total = ctx.per_school(rows["staff_total"].astype(float), np.nan)
    signed = ctx.per_school(rows["signed"].astype(float), np.nan)
    has = total.notna() & (total > 0) & signed.notna()
    ratio = np.where(has, np.minimum(1.0, signed / total.where(has, 1)), 0.0)
    short = np.where(has, np.maximum(0, total.fillna(0) - signed.fillna(0)), 0).astype(int)
    detail = np.where(has, texts("{y}年度責任書：教職工{t}人中{s}人已簽訂", y=[ctx.year] * len(ctx.codes),
                                 t=total.fillna(0).astype(int), s=signed.fillna(0).astype(int)),
                      f"未填報{ctx.year}年度責任書（或教職工總數為0）")
    detail_en = np.where(has, texts("{s} of {t} staff signed the {y} agreement", y=[ctx.year] * len(ctx.codes),
                                    t=total.fillna(0).astype(int), s=signed.fillna(0).astype(int)),
                         f"no {ctx.year} responsibility agreement row (or no staff total)")
    action = np.where(has & (short > 0), texts("與其餘{n}名教職工簽訂安全責任書", n=short),
                      f"填報{ctx.year}年度責任書並與全體教職工簽訂")
    action_en = np.where(has & (short > 0), texts("have the remaining {n} staff sign the agreement", n=short),
                         f"report the {ctx.year} agreements and have all staff sign")
    return ctx.outcome(ratio, detail, detail_en, action, action_en)
