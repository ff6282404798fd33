"""Where a learner stands in the course: their Hub repos, read the way the course's certificate checker reads them.

Why this exists: the course certifies a learner from their Hub repos (80 % of its 11 assignments passed gives the
certificate of completion, all 11 the certificate of excellence), but its progress page is unreliable, and nothing
tells a learner *why* an agent they pushed does not count. This module replays the checker's rules on the
learner's repos and explains every near miss in plain words.

    report = check_progress("your-username")   # token=None: your saved login (then private repos show up too)
    print(report)                              # the table, the level, then one line per repo to look at
    report.level                               # "none", "completion" or "excellence"
    print(checker_verdict(readme_text))        # one line: will the checker count this card, and for what?

The checker's rules (the course's certification Space; where its code could not be read, the kit's issue 28):
  * For each assignment it lists the user's public models with
    ``list_models(author=USER, filter=["reinforcement-learning", ENV_TAG, LIBRARY_TAG])``: the owner and three tags
    choose the repos, the repo's name does not matter. Unit 6 lists ``PandaReachDense-v3`` and, only when that
    listing is empty, ``PandaReachDense-v2``. The Doom assignment lists ``["reinforcement-learning",
    "sample-factory"]`` and keeps the repos whose ``model-index[0].results[0].dataset.name`` is the env.
  * For each repo it loads README.md's metadata (huggingface_hub's ``metadata_load``) and reads
    ``model-index[0].results[0].metrics[0].value``; no model-index, or an empty value, scores 0. It splits the
    value on ``" +/- "`` into mean and std (no std: 0) and takes mean - std; the best result passes at the minimum.
  * Nothing in that chain is guarded: a value it cannot split into numbers, a model-index without results, a
    sample-factory repo without model-index or a metadata block that is not YAML stops the whole check, so the
    learner gets no certificate at all until the card is fixed. The kit names those cards first.
The certificate is computed without the learner's token: private repos are invisible to it.

Everything the check reads is bounded: one time budget for the whole check (listing, pages, cards, slow bodies),
pages never read twice, at most ``MAX_REPOS`` models listed per query, each card and page size-capped before it
is read whole, and each card's YAML parsed with its aliases' expansion bounded. When a bound stops it, the report
says the table is incomplete. The requests, the bounds and the card reader are the kit's one Hub client
(``helpers.hub.client``).
"""
from __future__ import annotations

import json
import math
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlencode, urljoin

from helpers.hub import client as hub
from helpers.hub.client import (MAX_CARD_BYTES, BadAnswer, Card, Client, HTTPStatus, OutOfTime,
                                TooLarge, card_from_bytes, parse_card)
from helpers.errors import KitArgumentError
from helpers.i18n import _, ngettext

__all__ = ["ASSIGNMENTS", "Assignment", "Row", "Progress", "ProgressError", "UnknownUserError",
           "HubUnreachableError", "RateLimitedError", "check_progress", "checker_verdict",
           "parse_card"]

RL_TAG = "reinforcement-learning"
TIME_BUDGET_S = 60.0            # the whole check: listings, pages, cards, slow bodies
MAX_REPOS = 10_000              # models read at most per listing (the Hub pages it, 1,000 models a page)
MAX_PAGES = 50                  # pages read at most per listing
MAX_CARDS = 400                 # cards read at most per check; each is one small download
MAX_PAGE_BYTES = 16 * 1024 * 1024   # one page of a listing (1,000 models are well under 1 MB)
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")


@dataclass(frozen=True)
class Assignment:
    unit: str
    part: str                # "I" / "II" for unit 8's two parts, else ""
    env_tags: tuple          # unit 6: the v3 tag, then the v2 tag read only when no v3 repo is listed
    library: str
    min_result: float
    keyword: str             # how a repo's name usually says the env, to spot mis-tagged repos
    by_dataset: bool = False  # Doom: matched on the model-index dataset name, not on an env tag

    @property
    def env_id(self) -> str:
        return self.env_tags[0]

    @property
    def unit_name(self) -> str:
        if self.part:
            return _("{unit} part {part}", unit=self.unit, part=self.part)
        return self.unit

    @property
    def label(self) -> str:
        return _("unit {unit} {env_id}", unit=self.unit_name, env_id=self.env_id)

    def listed(self, tags, dataset=None) -> bool:
        """Would the checker's ``list_models`` (and, for Doom, its dataset test) pick a repo with these tags?"""
        tags = set(tags)
        if self.by_dataset:
            return {RL_TAG, self.library} <= tags and dataset == self.env_id
        return RL_TAG in tags and self.library in tags and any(env in tags for env in self.env_tags)

    def missing(self, tags, dataset=None) -> list:
        """What keeps a repo with these tags out of this assignment's listing (each a phrase for a note)."""
        tags = set(tags)
        out = [_("the tag '{tag}'", tag=t) for t in (RL_TAG, self.library) if t not in tags]
        if self.by_dataset:
            if dataset != self.env_id:
                out.append(_("the model-index dataset name '{env_id}' (it has {dataset!r})", env_id=self.env_id,
                             dataset=dataset))
        elif not any(env in tags for env in self.env_tags):
            out.append(_("the env tag '{env_id}'", env_id=self.env_id))
        return out


# The certification's 11 assignments and minimums, as the checker lists them (issue 28). The kit's own pass
# marks (helpers.scoring) are shown beside them where they differ: Taxi, 4.5 on the hands-on page, 4 here.
ASSIGNMENTS = (
    Assignment("1", "", ("LunarLander-v2",), "stable-baselines3", 200, "lunarlander"),
    Assignment("2", "", ("Taxi-v3",), "q-learning", 4, "taxi"),
    Assignment("3", "", ("SpaceInvadersNoFrameskip-v4",), "stable-baselines3", 200, "spaceinvaders"),
    Assignment("4", "", ("CartPole-v1",), "reinforce", 350, "cartpole"),
    Assignment("4", "", ("Pixelcopter-PLE-v0",), "reinforce", 5, "pixelcopter"),
    Assignment("5", "", ("ML-Agents-SnowballTarget",), "ml-agents", -100, "snowballtarget"),
    Assignment("5", "", ("ML-Agents-Pyramids",), "ml-agents", -100, "pyramids"),
    Assignment("6", "", ("PandaReachDense-v3", "PandaReachDense-v2"), "stable-baselines3", -3.5, "pandareachdense"),
    Assignment("7", "", ("ML-Agents-SoccerTwos",), "ml-agents", -100, "soccertwos"),
    Assignment("8", "I", ("LunarLander-v2",), "deep-rl-course", -500, "lunarlander"),
    Assignment("8", "II", ("doom_health_gathering_supreme",), "sample-factory", 5, "health_gathering",
               by_dataset=True),
)



# ---- the checker's score of one card ----------------------------------------------------------------------
@dataclass(frozen=True)
class Score:
    result: float | None       # mean - std as the checker computes it; None when it stops on the card
    problem: str | None = None  # why the checker stops on it, with the fix (a whole sentence)
    empty: bool = False        # the value is empty: the checker scores it 0


def _score(metadata: dict) -> Score:
    """The checker's reading of a card's metadata, step by step as its code indexes it."""
    if "model-index" not in metadata:
        return Score(0.0)
    try:
        results = metadata["model-index"][0]["results"]
    except (KeyError, IndexError, TypeError):
        return Score(None, _("its model-index has no results, and the course's check stops on it. Add the "
                             "evaluation to the model-index (results, metrics, value), or push the agent again "
                             "with the kit."))
    try:
        value = results[0]["metrics"][0]["value"]
    except (KeyError, IndexError, TypeError):
        return Score(None, _("its model-index has no results[0].metrics[0].value, and the course's check stops "
                             "on it. Add the value ('mean +/- std'), or push the agent again with the kit."))
    if value is None:
        return Score(0.0, empty=True)
    text = str(value)
    parts = text.split(" +/- ")
    try:
        mean, std = float(parts[0]), float(parts[1]) if len(parts) > 1 else 0.0
    except ValueError:
        if "+/-" in text:
            fixed = " +/- ".join(p.strip() for p in text.split("+/-", 1))
            return Score(None, _("its value {value!r} has no spaces around '+/-', and the course's check stops on "
                                 "it. Write it as {fixed!r} in README.md's metadata, or push the agent again with "
                                 "the kit.", value=text, fixed=fixed))
        if not text.strip():
            return Score(None, _("its value is an empty text (''), and the course's check stops on it. Write "
                                 "'mean +/- std' there, or push the agent again with the kit."))
        return Score(None, _("its value {value!r} is not a number or 'mean +/- std', and the course's check stops "
                             "on it. Write 'mean +/- std' there, or push the agent again with the kit.", value=text))
    return Score(mean - std)


def _dataset_problem(metadata: dict) -> str | None:
    """The Doom listing reads every sample-factory repo's dataset name; why it stops on this one, if it does."""
    try:
        metadata["model-index"][0]["results"][0]["dataset"]["name"]
    except (KeyError, IndexError, TypeError):
        if "model-index" not in metadata:
            return _("a sample-factory repo without a model-index, and the course's check stops on it (it reads "
                     "every sample-factory repo's env name there). Push it again with Sample Factory's "
                     "push_to_hub, which writes one, or remove its 'sample-factory' tag.")
        return _("a sample-factory repo whose model-index has no results[0].dataset.name, and the course's "
                 "check stops on it. Add the env name there, or remove its 'sample-factory' tag.")
    return None


def _kit_mark(a: Assignment):
    """The kit's pass mark for this env when it differs from the checker's (Taxi: 4.5 against 4)."""
    from helpers.scoring import PASS_MARKS

    mark = PASS_MARKS.get(a.env_id)
    return mark if mark is not None and mark != a.min_result else None


def checker_verdict(card_text: str) -> str:
    """One line: will the course's checker count a repo whose README.md is ``card_text``, and for what?"""
    if not isinstance(card_text, str):
        raise KitArgumentError(_("card_text is a {kind}: pass README.md's text (a str).",
                                 kind=type(card_text).__name__))
    card = parse_card(card_text)
    if card.error:
        return _("Course checker: cannot read this card's metadata ({error}); if the repo is listed, the course's "
                 "check stops on it and gives no certificate until the block is fixed.", error=card.error)
    meta = card.metadata or {}
    if card.metadata is not None and {RL_TAG, "sample-factory"} <= set(card.tags):
        problem = _dataset_problem(meta)
        if problem:
            return _("Course checker: {problem}", problem=problem)
    matches = [a for a in ASSIGNMENTS if a.listed(card.tags, card.dataset)]
    if not matches:
        near = [a for a in ASSIGNMENTS if any(a.keyword in t.lower().replace("-", "") for t in card.tags)
                or (a.by_dataset and card.dataset == a.env_id)]
        if near:
            a = near[0]
            return _("Course checker: this repo counts for no assignment: for {label} it lacks {missing}.",
                     label=a.label, missing=_(" and ").join(a.missing(card.tags, card.dataset)))
        env = card.dataset or (card.tags[0] if card.tags else "?")
        return _("Course checker: no course assignment uses {env}: this repo does not count towards the "
                 "certificate.", env=env)
    score = _score(meta)
    if score.problem:
        return _("Course checker: listed for {label}, but {problem}", label=matches[0].label, problem=score.problem)
    parts = []
    for a in matches:
        values = dict(label=a.label, env=next(t for t in a.env_tags if t in card.tags) if not a.by_dataset
                      else a.env_id, library=a.library, result=score.result, mark=a.min_result)
        if score.result >= a.min_result:
            parts.append(_("{label} (tags {env}, {library}): result {result:.2f} >= {mark:g} PASS", **values))
        else:
            parts.append(_("{label} (tags {env}, {library}): result {result:.2f} < {mark:g} not passed yet",
                           **values))
    line = _("Course checker: counts for {assignments}.", assignments=_("; ").join(parts))
    if any(len(a.env_tags) > 1 and a.env_tags[0] not in card.tags for a in matches):
        line += " " + _("(Unit 6 reads {old} repos only when you have no {new} repo at all.)",
                        old=matches[0].env_tags[1], new=matches[0].env_tags[0])
    return line


# ---- the learner's progress -------------------------------------------------------------------------------
class ProgressError(RuntimeError):
    """The progress check could not run; the message says why and what to do."""


class UnknownUserError(ProgressError):
    pass


class HubUnreachableError(ProgressError):
    pass


class ProgressArgumentError(ProgressError, KitArgumentError):
    """An argument of ``check_progress`` that cannot work; raised before any request."""


class RateLimitedError(ProgressError):
    pass


@dataclass
class Row:
    unit: str
    env_id: str
    library: str
    min_result: float
    kit_mark: float | None        # the kit's own mark where it differs from the course's
    best_result: float | None     # over the public repos the checker lists; None when none can be scored
    best_repo: str | None
    passed: bool
    repos: list = field(default_factory=list)     # the public repos the checker counts here
    blocked: list = field(default_factory=list)   # listed repos whose card stops the course's check


@dataclass
class Progress:
    username: str
    rows: list
    notes: list                   # one line per repo to look at (cards that stop the check first), then bounds
    endpoint: str = "https://huggingface.co"
    blocked: list = field(default_factory=list)   # repos whose card stops the course's whole check
    incomplete: bool = False      # a bound stopped the check: some repos were not read

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.rows)

    @property
    def level_once_fixed(self) -> str:
        """The level these results give once every card the course's check stops on is fixed."""
        n = len(self.rows)
        if self.passed == n:
            return "excellence"
        return "completion" if 5 * self.passed >= 4 * n else "none"   # 80 %, in integers

    @property
    def level(self) -> str:
        """What the course gives today: nothing while one of the cards it reads stops its check."""
        return "none" if self.blocked else self.level_once_fixed

    def summary(self) -> str:
        n, k = len(self.rows), self.passed
        values = dict(k=k, n=n, pct=100 * k / n, need=-(-4 * n // 5))
        if len(self.blocked) == 1:
            line = _("Passed {k} of {n} assignments ({pct:.0f} %), but the course's check stops on one of your cards "
                     "(named first below) and fails: no certificate until it is fixed.", **values)
            line += " " + {
                "excellence": _("Once it is fixed, these results give the certificate of excellence."),
                "completion": _("Once it is fixed, these results give the certificate of completion."),
                "none": _("Even once it is fixed, the certificate of completion needs {need} of {n}.", **values),
            }[self.level_once_fixed]
        elif self.blocked:
            line = _("Passed {k} of {n} assignments ({pct:.0f} %), but the course's check stops on {cards} of your "
                     "cards (named first below) and fails: no certificate until they are fixed.",
                     cards=len(self.blocked), **values)
            line += " " + {
                "excellence": _("Once they are fixed, these results give the certificate of excellence."),
                "completion": _("Once they are fixed, these results give the certificate of completion."),
                "none": _("Even once they are fixed, the certificate of completion needs {need} of {n}.", **values),
            }[self.level_once_fixed]
        else:
            line = {
                "excellence": _("Passed {k} of {n} assignments ({pct:.0f} %): certificate of excellence.", **values),
                "completion": _("Passed {k} of {n} assignments ({pct:.0f} %): certificate of completion (all {n} "
                                "give the certificate of excellence).", **values),
                "none": _("Passed {k} of {n} assignments ({pct:.0f} %): no certificate yet (the certificate of "
                          "completion needs {need} of {n}).", **values),
            }[self.level]
        if self.incomplete:
            line += " " + _("The table is incomplete (see the notes): the level may be higher.")
        return line

    def _cells(self, r: Row) -> tuple:
        best = "-" if r.best_result is None else f"{r.best_result:.2f}"
        kit = "" if r.kit_mark is None else f">= {r.kit_mark:g}"
        verdict = _("check fails") if r.blocked else _("PASS") if r.passed else _("not yet")
        return (r.unit, f"{r.env_id} / {r.library}", f">= {r.min_result:g}", kit, best, verdict, r.best_repo or "-")

    def _head(self) -> tuple:
        return (_("unit"), _("assignment (env tag / library tag)"), _("course mark"), _("kit mark"),
                _("best result"), "", _("best repo"))

    def table(self) -> str:
        lines = [self._head()] + [self._cells(r) for r in self.rows]
        widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in lines)

    def __repr__(self) -> str:  # the report itself, also where no HTML is shown
        return str(self)

    def _title(self) -> str:
        return _("Course progress of {username}, as the course's certificate checker sees it:",
                 username=self.username)

    def __str__(self) -> str:
        out = [self._title(), "", self.table(), "", self.summary()]
        if self.notes:
            out += ["", _("Repos to look at:")] + [f"- {n}" for n in self.notes]
        return "\n".join(out)

    def _repr_html_(self) -> str:
        import html

        def cell(i, r, text):
            if i == 6 and r.best_repo:
                return (f"<a href='{html.escape(self.endpoint)}/{html.escape(r.best_repo)}' target='_blank'>"
                        f"{html.escape(r.best_repo)}</a>")
            return html.escape(text)

        head = "".join(f"<th>{html.escape(h)}</th>" for h in self._head())
        rows = "".join("<tr>" + "".join(f"<td>{cell(i, r, c)}</td>" for i, c in enumerate(self._cells(r))) + "</tr>"
                       for r in self.rows)
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (f"<p>{html.escape(self._title())}</p><table><tr>{head}</tr>{rows}</table>"
                f"<p>{html.escape(self.summary())}</p>"
                + (f"<p>{html.escape(_('Repos to look at:'))}</p><ul>{notes}</ul>" if notes else ""))



def _error(err: Exception, base: str) -> ProgressError:
    """The learner's message for a request that failed for good."""
    if isinstance(err, ProgressError):
        return err
    if isinstance(err, BadAnswer):
        return ProgressError(str(err))
    kind, status = hub.classify(err)
    if kind == "busy" and status == 429:
        return RateLimitedError(_("The Hub answered 'too many requests' {tries} times in a row, even after waiting: "
                                  "wait a few minutes and run this again (logged-in users get a higher limit).",
                                  tries=getattr(err, "tries", 1)))
    if kind in ("denied", "forbidden"):
        return ProgressError(_("The Hub refused the token ({status}): log in again, or pass token=False to "
                               "check the public repos only.", status=status))
    if status is not None:
        message = (getattr(err, "message", "").splitlines() or [""])[0][:200]
        return ProgressError(_("The Hub answered {status}: {message}. Try again later.", status=status,
                               message=message))
    return HubUnreachableError(_("Cannot reach the Hub at {endpoint} ({kind}): check the internet connection (on "
                                 "Kaggle: Settings > Internet on) and run this again.", endpoint=base,
                                 kind=type(err).__name__))


@dataclass
class _Listing:
    models: list            # [{"id", "tags", "private"}]
    stopped: str | None     # why the listing stopped early (a note), None when read to its end


def _list_models(client: Client, username: str, filters: tuple) -> _Listing:
    """Every page of ``/api/models?author=USER&filter=...``: pages linked by the Link header, none read twice, at
    most MAX_REPOS models and MAX_PAGES pages, within the budget."""
    url = f"{client.base}/api/models?" + urlencode([("author", username)] + [("filter", f) for f in filters])
    seen, models = set(), []
    query = " + ".join(filters) if filters else _("all your models")
    while url:
        if url in seen:
            return _Listing(models, _("The Hub's listing of {query} pointed back at a page already read; the kit "
                                      "stopped there, so the table may be incomplete.", query=query))
        if len(seen) >= MAX_PAGES:
            return _Listing(models, _("The listing of {query} has more than {pages} pages; the kit stopped there, so "
                                      "the table may be incomplete.", query=query, pages=MAX_PAGES))
        seen.add(url)
        try:
            _status, headers, body = client.retrying(lambda: client.get(url, MAX_PAGE_BYTES))
        except TooLarge:
            return _Listing(models, _("A page of the listing of {query} is larger than {mb} MB; the kit stopped "
                                      "there, so the table may be incomplete.", query=query,
                                      mb=MAX_PAGE_BYTES // 2 ** 20))
        try:
            page = json.loads(body)
        except ValueError:
            page = None
        if not isinstance(page, list):
            raise ProgressError(_("The Hub's model listing was not a list of models (from {url}). Try again later.",
                                  url=url[:200]))
        for item in page:
            model_id = item.get("id") or item.get("modelId") if isinstance(item, dict) else None
            if not isinstance(model_id, str):
                continue
            tags = item.get("tags")
            models.append({"id": model_id, "tags": [str(t) for t in tags] if isinstance(tags, list) else [],
                           "private": item.get("private") is True})
            if len(models) >= MAX_REPOS:
                return _Listing(models, _("The listing of {query} stops at {cap} repos: some repos were not looked "
                                          "at, so the table is incomplete.", query=query, cap=MAX_REPOS))
        match = re.search(r'<([^>]+)>\s*;\s*rel="?next"?', headers.get("link", ""))
        url = urljoin(url, match.group(1)) if match else None
    return _Listing(models, None)


def _user_exists(client: Client, username: str) -> bool:
    try:
        client.retrying(lambda: client.get(f"{client.base}/api/users/{username}/overview", 1024 * 1024))
    except HTTPStatus as err:
        if err.status == 404:
            return False
        raise
    except TooLarge:
        pass
    return True


def _read_card(client: Client, repo_id: str) -> Card:
    if client.remaining() <= 0:
        return Card(unread="time")
    try:
        body = client.card(repo_id)
    except OutOfTime:
        return Card(unread="time")
    except TooLarge:
        return Card(unread="size")
    return Card() if body is None else card_from_bytes(body)   # no README.md: the checker skips the repo


def check_progress(username: str, *, token=None, endpoint: str | None = None,
                   time_budget_s: float = TIME_BUDGET_S) -> Progress:
    """Read ``username``'s Hub repos the way the course's certificate checker does (see the module docstring).

    ``token``: None uses the saved login (private repos are then listed, and flagged: the certificate cannot
    see them); False reads public repos only. ``endpoint``: another Hub (tests use a loopback one).
    ``time_budget_s``: the most the whole check may take (60 s); past it the table says it is incomplete.
    Raises UnknownUserError, HubUnreachableError, RateLimitedError (a ProgressError each) with what to do.
    """
    if not isinstance(username, str):
        raise ProgressArgumentError(_("Give your Hugging Face username as text (the name in "
                                      "https://huggingface.co/USERNAME), got a {kind}.", kind=type(username).__name__))
    username = username.strip()
    if not _USERNAME.match(username):
        raise ProgressArgumentError(_("Give your Hugging Face username (the name in "
                                      "https://huggingface.co/USERNAME), got {name!r}.", name=username))
    if isinstance(time_budget_s, bool) or not isinstance(time_budget_s, (int, float)) \
            or not math.isfinite(time_budget_s) or not 0 < time_budget_s <= 3600:
        raise ProgressArgumentError(_("time_budget_s is {value!r}: pass a number of seconds above 0 and at most "
                                      "3600.", value=time_budget_s))
    if hub.offline():
        raise HubUnreachableError(_("HF_HUB_OFFLINE is set, so nothing may be read from the Hub: unset it "
                                    "(os.environ.pop('HF_HUB_OFFLINE')), restart the kernel, and run this again."))
    base = hub.endpoint(endpoint)
    try:
        headers = hub.hub_headers(token)
    except Exception as err:  # noqa: BLE001 - no saved login for token=True, a token of the wrong type, ...
        raise ProgressError(_("The token could not be used ({error}): log in with huggingface_hub.login(), or pass "
                              "token=False to check the public repos only.", error=str(err)[:200])) from None
    client = Client(base, headers, float(time_budget_s))
    try:
        return _check(client, username)
    except (ProgressError, BadAnswer, HTTPStatus, OSError) as err:
        raise _error(err, base) from err
    finally:
        client.close()


def _check(client: Client, username: str) -> Progress:
    notes_bounds, notes = [], []
    out_of_time = False

    def listing(filters=()) -> list:
        nonlocal out_of_time
        if out_of_time:
            return []
        try:
            found = _list_models(client, username, tuple(filters))
        except OutOfTime:
            out_of_time = True
            return []
        if found.stopped and found.stopped not in notes_bounds:
            notes_bounds.append(found.stopped)
        return found.models

    everything = listing()
    if not everything and not out_of_time and not notes_bounds:
        try:
            known = _user_exists(client, username)
        except OutOfTime:
            known, out_of_time = True, True
        if not known:
            raise UnknownUserError(_("The Hub has no user named {name!r}: check the spelling (it is the name in your "
                                     "profile's address, https://huggingface.co/USERNAME).", name=username))
    by_id = {m["id"]: m for m in everything}
    private = {m["id"] for m in everything if m["private"]}

    listed, queries, skipped_v2 = {}, {}, {}   # assignment index -> repo ids the checker's query returns

    def query(f):
        if f not in queries:
            models = listing(f)
            for m in models:
                by_id.setdefault(m["id"], m)
                if m["private"]:
                    private.add(m["id"])
            queries[f] = [m["id"] for m in models]
        return queries[f]

    for i, a in enumerate(ASSIGNMENTS):
        if a.by_dataset:
            listed[i] = query((RL_TAG, a.library))
            continue
        ids = query((RL_TAG, a.env_tags[0], a.library))
        if len(a.env_tags) > 1:   # unit 6: v2 repos count only when the checker finds no v3 repo at all
            fallback = [r for r in query((RL_TAG, a.env_tags[1], a.library)) if r not in ids]
            if any(r not in private for r in ids):
                skipped_v2[i] = [r for r in fallback if r not in private]
            else:
                ids = ids + fallback
        listed[i] = ids

    def suggests(model) -> list:
        words = (model["id"].split("/", 1)[-1].lower().replace("-", ""),
                 *(t.lower().replace("-", "") for t in model["tags"]))
        return [i for i, a in enumerate(ASSIGNMENTS) if any(a.keyword.replace("-", "") in w for w in words)]

    hints = {m["id"]: suggests(m) for m in everything}
    wanted = list(dict.fromkeys([r for ids in listed.values() for r in ids]
                                + [r for ids in skipped_v2.values() for r in ids]
                                + [r for r, h in hints.items() if h]))
    if len(wanted) > MAX_CARDS:
        notes_bounds.append(ngettext("{n} repo was not read (at most {cap} cards a check), so the table is incomplete.",
                                     "{n} repos were not read (at most {cap} cards a check), so the table is "
                                     "incomplete.", len(wanted) - MAX_CARDS, cap=MAX_CARDS))
        wanted = wanted[:MAX_CARDS]
    with ThreadPoolExecutor(max_workers=8) as pool:
        cards = dict(zip(wanted, pool.map(lambda r: _read_card(client, r), wanted)))
    unread = [r for r, c in cards.items() if c.unread == "time"]
    if unread or out_of_time:
        notes_bounds.append(ngettext("The check stopped at its {budget:g} s time budget: {n} repo was not read and "
                                     "some listings may be cut short, so the table is incomplete (run it again "
                                     "later).",
                                     "The check stopped at its {budget:g} s time budget: {n} repos were not read and "
                                     "some listings may be cut short, so the table is incomplete (run it again "
                                     "later).", len(unread), budget=client.budget_s))
    for repo in [r for r, c in cards.items() if c.unread == "size"]:
        notes_bounds.append(_("{repo}: its README.md is larger than {kb} KB, so the kit did not read it; the table "
                              "may be incomplete. Course cards are a few KB: push the agent again with the kit.",
                              repo=repo, kb=MAX_CARD_BYTES // 1024))

    rows, blocked, counted, explained = [], [], set(), set()
    for i, a in enumerate(ASSIGNMENTS):
        scored, row_blocked = [], []
        for repo in listed[i]:
            card = cards.get(repo)
            if card is None or card.unread:
                continue
            if a.by_dataset and not card.error and card.metadata is not None \
                    and _dataset_problem(card.metadata) is None and card.dataset != a.env_id:
                continue   # the Doom query keeps only this dataset name
            counted.add(repo)
            if card.error:
                problem = _("its card's metadata (the YAML block at the top of README.md) cannot be read ({error}), "
                            "and the course's check stops on it. Fix that block, or push the agent again with the "
                            "kit.", error=card.error)
            elif card.metadata is None:
                continue   # no metadata block: the checker skips the repo
            elif a.by_dataset:
                problem = _dataset_problem(card.metadata)
            else:
                problem = None
            score = _score(card.metadata) if not problem else None
            problem = problem or score.problem
            if problem:
                if repo not in private and repo not in blocked:
                    row_blocked.append(repo)
                    blocked.append(repo)
                    notes.insert(len(blocked) - 1, _("{repo} ({label}): {problem}", repo=repo, label=a.label,
                                                     problem=problem))
                explained.add(repo)
                continue
            result = score.result
            if score.empty and 0 < a.min_result:
                explained.add(repo)
                notes.append(_("{repo} ({label}): its metric value is empty, so the checker scores it 0 < {mark:g}. "
                               "Push it again with the kit: it writes 'mean +/- std'.", repo=repo, label=a.label,
                               mark=a.min_result))
            elif "model-index" not in card.metadata and 0 < a.min_result:
                explained.add(repo)
                notes.append(_("{repo} ({label}): its card has no model-index (the evaluation), so the checker scores "
                               "it 0 < {mark:g}. Push it again with the kit: it writes one.", repo=repo,
                               label=a.label, mark=a.min_result))
            other = [ASSIGNMENTS[j] for j in hints.get(repo, []) if ASSIGNMENTS[j].env_id != a.env_id]
            if other and a.keyword not in repo.lower().replace("-", ""):
                b, explained = other[0], explained | {repo}
                notes.append(_("{repo}: its name says {named} but it is tagged {tagged}, so the checker scores it for "
                               "{label}, not for {other}. Put '{named}' in its tags instead (README.md metadata), or "
                               "push it again with the kit.", repo=repo, named=b.env_id, tagged=a.env_id,
                               label=a.label, other=b.label))
            if repo in private:
                values = dict(repo=repo, label=a.label, result=result)
                if result >= a.min_result:
                    notes.append(_("{repo} ({label}): private, so the certificate cannot see it (its result "
                                   "{result:.2f} would pass). Make it public in the repo's Settings.", **values))
                else:
                    notes.append(_("{repo} ({label}): private, so the certificate cannot see it (its result "
                                   "{result:.2f} would not pass yet). Make it public in the repo's Settings.",
                                   **values))
                continue
            if not math.isnan(result):   # the checker keeps a result only when it beats the best so far
                scored.append((result, repo))
        best = max(scored, default=None)
        passed = best is not None and best[0] >= a.min_result
        if best is not None and not passed and best[1] not in explained:
            notes.append(_("{repo} ({label}): result {result:.2f} < {mark:g}, not passed yet. Train longer or with "
                           "other settings, then push again.", repo=best[1], label=a.label, result=best[0],
                           mark=a.min_result))
        for repo in skipped_v2.get(i, []):
            card = cards.get(repo)
            score = _score(card.metadata) if card and card.metadata is not None and not card.error else None
            counted.add(repo)
            if score and score.result is not None and score.result >= a.min_result and not passed:
                notes.append(_("{repo} ({label}): tagged {old}, which the course reads only when you have no public "
                               "{new} repo at all; you have one, so this result ({result:.2f}) is not counted. Make "
                               "your {new} repos pass, or make them private.", repo=repo, label=a.label,
                               old=a.env_tags[1], new=a.env_tags[0], result=score.result))
        rows.append(Row(a.unit_name, a.env_id, a.library, a.min_result, _kit_mark(a), best[0] if best else None,
                        best[1] if best else None, passed, [r for _, r in scored], row_blocked))

    # Repos the checker never lists although their name or tags say they are an assignment's agent.
    for repo, idx in hints.items():
        card = cards.get(repo)
        if repo in counted or not idx or card is None or card.unread:
            continue
        if card.error:
            notes.append(_("{repo}: its card's metadata cannot be read ({error}); the checker skips it. Fix the YAML "
                           "block at the top of README.md, or push the agent again.", repo=repo, error=card.error))
            continue
        tags = set(card.tags) | set(by_id[repo]["tags"])
        gaps = _("; ").join(_("{missing} for {label}", label=ASSIGNMENTS[i].label,
                                missing=_(" and ").join(ASSIGNMENTS[i].missing(tags, card.dataset))) for i in idx)
        notes.append(_("{repo}: looks like a course agent, but the checker does not list it: it lacks {gaps}. Add what "
                       "is missing to README.md's metadata, or push it again with the kit.", repo=repo, gaps=gaps))
    return Progress(username, rows, notes + notes_bounds, client.base, blocked, bool(notes_bounds))
