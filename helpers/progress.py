"""Where a learner stands in the course: their Hub repos, read the way the course's certificate checker reads them.

Why this exists: the course certifies a learner from their Hub repos (80 % of the assignments passed gives the
certificate of completion, 100 % the certificate of excellence), but its progress page and leaderboard are
unreliable, and nothing tells a learner *why* an agent they pushed does not count. This module replays the
checker's rules on the learner's repos and explains every near miss in plain words.

    report = check_progress("your-username")   # token=None: your saved login (then private repos show up too)
    print(report)                              # the table, then one line per repo that almost counts
    report.level                               # "none", "completion" or "excellence"
    print(checker_verdict(readme_text))        # one line: will the checker count this card, and for what?

The checker's rules (its code is published with the course's progress Space):
  * For each assignment it lists the user's models with
    ``list_models(author=USER, filter=["reinforcement-learning", ENV_TAG, LIBRARY_TAG])``: the owner and three tags
    choose the repos, the repo's name does not matter. The Doom assignment lists
    ``["reinforcement-learning", "sample-factory"]`` and keeps the repos whose model-index dataset name is the env.
  * For each repo it loads README.md's YAML metadata and reads ``model-index[0].results[0].metrics[0].value``,
    splits it on ``" +/- "`` into mean and std (no std: std = 0; no model-index: the repo scores 0), and
    result = mean - std. The best result of an assignment passes when it reaches the minimum.
The certificate is computed without the learner's token: private repos are invisible to it.

Works with huggingface_hub 0.30 to 2.x: only ``HfApi.list_models``, ``hf_hub_download``, ``repocard.REGEX_YAML_BLOCK``
and the ``utils`` HTTP helpers are used, all present and alike across that range.
"""
from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

__all__ = ["ASSIGNMENTS", "Assignment", "Row", "Progress", "ProgressError", "UnknownUserError",
           "HubUnreachableError", "RateLimitedError", "check_progress", "checker_verdict", "parse_card",
           "card_result"]

RL_TAG = "reinforcement-learning"
MAX_REPOS = 10_000        # listing bound per query (the Hub pages it, 1,000 models a page)
MAX_CARDS = 400           # cards read at most per check; each is one small download
TIME_BUDGET_S = 180.0     # stop reading cards after this long and say the table is incomplete
RETRIES, BACKOFF_S, MAX_WAIT_S = 2, 5.0, 30.0   # on 429: wait 5 then 10 s, then give up (huggingface_hub >= 1
# also retries 429s itself, up to 5 times, before each of these tries gives up)


@dataclass(frozen=True)
class Assignment:
    unit: str
    env_tags: tuple          # any one of these env tags (unit 6 accepts the v2 and v3 envs)
    library: str
    min_result: float
    keyword: str             # how a repo's name usually says the env, to spot mis-tagged repos
    by_dataset: bool = False  # Doom: matched on the model-index dataset name, not on an env tag

    @property
    def env_id(self) -> str:
        return self.env_tags[0]

    @property
    def label(self) -> str:
        return f"unit {self.unit} {self.env_id}"

    def listed(self, tags, dataset=None) -> bool:
        """Would the checker's ``list_models`` (and, for Doom, its dataset test) pick a repo with these tags?"""
        tags = set(tags)
        if self.by_dataset:
            return {RL_TAG, self.library} <= tags and dataset == self.env_id
        return RL_TAG in tags and self.library in tags and any(env in tags for env in self.env_tags)

    def missing(self, tags, dataset=None) -> list:
        """What keeps a repo with these tags out of this assignment's listing."""
        tags = set(tags)
        out = [f"the tag '{t}'" for t in (RL_TAG, self.library) if t not in tags]
        if self.by_dataset:
            if dataset != self.env_id:
                out.append(f"the model-index dataset name '{self.env_id}' (it has {dataset!r})")
        elif not any(env in tags for env in self.env_tags):
            out.append(f"the env tag '{self.env_id}'")
        return out


# The course's assignments as the checker lists them. `min_result` is the checker's own number, since the
# certificate is what this predicts. Where the published sources disagree, the hands-on pages win:
#   * unit 2: the checker passes Taxi at 4, the hands-on page asks 4.5 (the kit's mark, helpers.scoring), and
#     the table shows both;
#   * unit 6: the hands-on page now trains PandaReachDense-v3, older checker code lists v2: both tags count;
#   * units 5 and 8 part I: the hands-on pages ask no minimum; the checker's floors (-100, -200) are reached
#     even by a card without a model-index (it scores 0), so "just push" holds as the pages say;
#   * unit 7 (SoccerTwos): its hands-on page says a pushed model validates it, but the checker's list given in
#     the kit's issue 22 has no unit 7 row; it is left out here so the 80 % / 100 % counts match that list.
ASSIGNMENTS = (
    Assignment("1", ("LunarLander-v2",), "stable-baselines3", 200, "lunarlander"),
    Assignment("2", ("Taxi-v3",), "q-learning", 4, "taxi"),
    Assignment("3", ("SpaceInvadersNoFrameskip-v4",), "stable-baselines3", 200, "spaceinvaders"),
    Assignment("4", ("CartPole-v1",), "reinforce", 350, "cartpole"),
    Assignment("4", ("Pixelcopter-PLE-v0",), "reinforce", 5, "pixelcopter"),
    Assignment("5", ("ML-Agents-SnowballTarget",), "ml-agents", -100, "snowballtarget"),
    Assignment("5", ("ML-Agents-Pyramids",), "ml-agents", -100, "pyramids"),
    Assignment("6", ("PandaReachDense-v3", "PandaReachDense-v2"), "stable-baselines3", -3.5, "pandareachdense"),
    Assignment("8 part I", ("LunarLander-v2",), "deep-rl-course", -200, "lunarlander"),
    Assignment("8 part II", ("doom_health_gathering_supreme",), "sample-factory", 5, "health_gathering",
               by_dataset=True),
)


# ---- one card, the checker's way ------------------------------------------------------------------------
@dataclass
class Card:
    tags: tuple = ()
    dataset: str | None = None
    metadata: dict = field(default_factory=dict)
    error: str | None = None      # the YAML block cannot be read


def parse_card(text: str) -> Card:
    """README.md's metadata as the checker's ``metadata_load`` sees it, plus the tags the Hub derives from it
    (``library_name`` becomes a tag)."""
    import yaml
    from huggingface_hub.repocard import REGEX_YAML_BLOCK

    match = REGEX_YAML_BLOCK.search(text)
    if not match:
        return Card()
    try:
        meta = yaml.safe_load(match.group(2))
    except yaml.YAMLError as err:
        return Card(error=" ".join(str(err).split())[:120])
    if meta is None:
        return Card()
    if not isinstance(meta, dict):
        return Card(error=f"the block is a {type(meta).__name__}, not a mapping")
    tags = meta.get("tags") or []
    tags = [tags] if isinstance(tags, str) else [str(t) for t in tags] if isinstance(tags, list) else []
    if isinstance(meta.get("library_name"), str):
        tags.append(meta["library_name"])
    try:
        dataset = meta["model-index"][0]["results"][0]["dataset"]["name"]
    except (KeyError, IndexError, TypeError):
        dataset = None
    return Card(tuple(dict.fromkeys(tags)), dataset if isinstance(dataset, str) else None, meta)


def card_result(metadata: dict) -> tuple:
    """``(result, problem)``: the checker's score of a card, or None and why it cannot read one."""
    if "model-index" not in metadata:
        return 0.0, None
    try:
        value = metadata["model-index"][0]["results"][0]["metrics"][0]["value"]
    except (KeyError, IndexError, TypeError):
        return None, "its model-index has no results[0].metrics[0].value"
    parts = str(value).split(" +/- ")
    try:
        mean, std = float(parts[0]), float(parts[1]) if len(parts) > 1 else 0.0
    except ValueError:
        if "+/-" in str(value):
            return None, (f"its value {str(value)!r} lacks the spaces around '+/-' that the checker splits on "
                          "(the course's checker stops with an error on it)")
        return None, f"its value {str(value)!r} cannot be read as 'mean +/- std'"
    return mean - std, None


def _kit_mark(a: Assignment):
    """The kit's pass mark for this env when it differs from the checker's (Taxi: 4.5 against 4)."""
    from helpers.scoring import PASS_MARKS

    mark = PASS_MARKS.get(a.env_id)
    return mark if mark is not None and mark != a.min_result else None


def checker_verdict(card_text: str) -> str:
    """One line: will the course's checker count a repo whose README.md is ``card_text``, and for what?"""
    card = parse_card(card_text)
    if card.error:
        return f"Course checker: cannot read this card's metadata ({card.error}); the repo will not count."
    matches = [a for a in ASSIGNMENTS if a.listed(card.tags, card.dataset)]
    if not matches:
        near = [a for a in ASSIGNMENTS if any(a.keyword in t.lower().replace("-", "") for t in card.tags)
                or (a.by_dataset and card.dataset == a.env_id)]
        if near:
            a = near[0]
            return (f"Course checker: this repo counts for no assignment: for {a.label} it lacks "
                    f"{' and '.join(a.missing(card.tags, card.dataset))}.")
        env = card.dataset or (card.tags[0] if card.tags else "this env")
        return f"Course checker: no course assignment uses {env}: this repo does not count towards the certificate."
    result, problem = card_result(card.metadata)
    if problem:
        return (f"Course checker: listed for {matches[0].label}, but {problem}: it is left out. "
                "Push it again with the kit.")
    parts = [f"{a.label} (tags {a.env_id}, {a.library}): result {result:.2f} "
             f"{'>=' if result >= a.min_result else '<'} {a.min_result:g} "
             f"{'PASS' if result >= a.min_result else 'not passed yet'}" for a in matches]
    return "Course checker: counts for " + "; ".join(parts) + "."


# ---- the learner's progress -------------------------------------------------------------------------------
class ProgressError(RuntimeError):
    """The progress check could not run; the message says why and what to do."""


class UnknownUserError(ProgressError):
    pass


class HubUnreachableError(ProgressError):
    pass


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
    repos: list = field(default_factory=list)   # the public repos the checker counts here


@dataclass
class Progress:
    username: str
    rows: list
    notes: list                   # one line per repo that almost counts (and why the table may be partial)
    endpoint: str = "https://huggingface.co"

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.rows)

    @property
    def level(self) -> str:
        n = len(self.rows)
        if self.passed == n:
            return "excellence"
        return "completion" if 5 * self.passed >= 4 * n else "none"   # 80 %, in integers

    def summary(self) -> str:
        n, k = len(self.rows), self.passed
        what = {"excellence": "certificate of excellence",
                "completion": "certificate of completion (all of them gives the certificate of excellence)",
                "none": f"no certificate yet (the certificate of completion needs {-(-4 * n // 5)})"}[self.level]
        return f"Passed {k} of {n} assignments ({100 * k / n:.0f} %): {what}."

    def table(self) -> str:
        head = ("unit", "assignment (env tag / library tag)", "course mark", "kit mark", "best result", "", "best repo")
        lines = [head]
        for r in self.rows:
            best = "-" if r.best_result is None else f"{r.best_result:.2f}"
            kit = "" if r.kit_mark is None else f">= {r.kit_mark:g}"
            verdict = "PASS" if r.passed else "not yet"
            lines.append((r.unit, f"{r.env_id} / {r.library}", f">= {r.min_result:g}", kit, best, verdict,
                          r.best_repo or "-"))
        widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in lines)

    def __repr__(self) -> str:  # the report itself, also where no HTML is shown
        return str(self)

    def __str__(self) -> str:
        out = [f"Course progress of {self.username}, as the course's certificate checker sees it:", "",
               self.table(), "", self.summary()]
        if self.notes:
            out += ["", "Repos that almost count:"] + [f"- {n}" for n in self.notes]
        return "\n".join(out)

    def _repr_html_(self) -> str:
        import html

        cells = "".join(
            f"<tr><td>{html.escape(r.unit)}</td><td>{html.escape(r.env_id)} / {html.escape(r.library)}</td>"
            f"<td>&ge; {r.min_result:g}</td><td>{'' if r.kit_mark is None else f'&ge; {r.kit_mark:g}'}</td>"
            f"<td>{'-' if r.best_result is None else f'{r.best_result:.2f}'}</td>"
            f"<td>{'PASS' if r.passed else 'not yet'}</td><td>"
            + (f"<a href='{self.endpoint}/{html.escape(r.best_repo)}' target='_blank'>{html.escape(r.best_repo)}</a>"
               if r.best_repo else "-") + "</td></tr>" for r in self.rows)
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (f"<p>Course progress of <b>{html.escape(self.username)}</b>, as the course's certificate checker "
                "sees it:</p><table><tr><th>unit</th><th>assignment (env tag / library tag)</th><th>course mark</th>"
                f"<th>kit mark</th><th>best result</th><th></th><th>best repo</th></tr>{cells}</table>"
                f"<p>{html.escape(self.summary())}</p>"
                + (f"<p>Repos that almost count:</p><ul>{notes}</ul>" if notes else ""))


def _status(err) -> int | None:
    response = getattr(err, "response", None)
    return getattr(response, "status_code", None)


def _translate(err: Exception, endpoint: str, tries: int) -> Exception:
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    if isinstance(err, ProgressError):
        return err
    if isinstance(err, OfflineModeIsEnabled):
        return HubUnreachableError("HF_HUB_OFFLINE is set, so nothing may be read from the Hub: unset it "
                                   "(os.environ.pop('HF_HUB_OFFLINE')), restart the kernel, and run this again.")
    if isinstance(err, HfHubHTTPError):
        status = _status(err)
        if status == 429:
            return RateLimitedError(f"The Hub answered 'too many requests' {tries} times in a row, even after "
                                    "waiting: wait a few minutes and run this again (logged-in users get a higher "
                                    "limit).")
        if status in (401, 403):
            return ProgressError(f"The Hub refused the token ({status}): log in again, or pass token=False to "
                                 "check the public repos only.")
        return ProgressError(f"The Hub answered {status}: {str(err).splitlines()[0][:200]}. Try again later.")
    if isinstance(err, OSError) or type(err).__module__.split(".")[0] in ("httpx", "httpx2", "requests", "urllib3"):
        return HubUnreachableError(f"Cannot reach the Hub at {endpoint} ({type(err).__name__}): check the internet "
                                   "connection (on Kaggle: Settings > Internet on) and run this again.")
    return err


def _retrying(call, endpoint: str):
    """``call()``, retried with growing waits while the Hub answers 429; other errors become ProgressErrors."""
    for attempt in range(RETRIES + 1):
        try:
            return call()
        except Exception as err:  # noqa: BLE001 - translated below, or re-raised as it was
            if _status(err) == 429 and attempt < RETRIES:
                time.sleep(min(BACKOFF_S * 2 ** attempt, MAX_WAIT_S))
                continue
            raise _translate(err, endpoint, attempt + 1) from err


def _user_overview(base: str, username: str, token) -> None:
    """GET /api/users/NAME/overview (raises on 404). ``HfApi.get_user_overview`` is not used: in
    huggingface_hub 0.30 it ignores the api's endpoint."""
    from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

    hf_raise_for_status(get_session().get(f"{base}/api/users/{username}/overview",
                                          headers=build_hf_headers(token=token)))


def check_progress(username: str, *, token=None, endpoint: str | None = None) -> Progress:
    """Read ``username``'s Hub repos the way the course's certificate checker does (see the module docstring).

    ``token``: None uses the saved login (private repos are then listed, and flagged: the certificate cannot
    see them); False reads public repos only. ``endpoint``: another Hub (tests use a loopback one).
    Raises UnknownUserError, HubUnreachableError, RateLimitedError (a ProgressError each) with what to do.
    """
    from huggingface_hub import HfApi, constants, hf_hub_download

    username = (username or "").strip()
    if not username or "/" in username:
        raise ProgressError(f"Give your Hugging Face username (the name in https://huggingface.co/USERNAME), "
                            f"got {username!r}.")
    base = (endpoint or constants.ENDPOINT).rstrip("/")
    api = HfApi(endpoint=endpoint)
    start = time.monotonic()

    def listing(filter=None) -> list:
        return _retrying(lambda: list(api.list_models(author=username, filter=filter, limit=MAX_REPOS,
                                                      token=token)), base)

    everything = listing()
    if not everything:
        try:
            _retrying(lambda: _user_overview(base, username, token), base)
        except ProgressError as err:
            if _status(err.__cause__) == 404:
                raise UnknownUserError(f"The Hub has no user named {username!r}: check the spelling (it is the "
                                       "name in your profile's address, https://huggingface.co/USERNAME).") from None
            raise
    private = {m.id for m in everything if getattr(m, "private", False)}
    notes = [f"The listing stops at {MAX_REPOS} repos: some repos were not looked at."] \
        if len(everything) >= MAX_REPOS else []
    listed = {}   # assignment index -> repo ids the checker's query returns (private ones included with a token)
    queries = {}
    for i, a in enumerate(ASSIGNMENTS):
        filters = [(RL_TAG, a.library)] if a.by_dataset else [(RL_TAG, env, a.library) for env in a.env_tags]
        listed[i] = []
        for f in filters:
            if f not in queries:
                queries[f] = [m.id for m in listing(list(f))]
            listed[i] += [r for r in queries[f] if r not in listed[i]]

    # Cards to read: every repo a query returned, and repos whose name or tags suggest an assignment.
    def suggests(model) -> list:
        words = (model.id.split("/", 1)[-1].lower().replace("-", ""),
                 *(t.lower().replace("-", "") for t in (getattr(model, "tags", None) or [])))
        return [i for i, a in enumerate(ASSIGNMENTS) if any(a.keyword.replace("-", "") in w for w in words)]

    hints = {m.id: suggests(m) for m in everything}
    wanted = list(dict.fromkeys([r for ids in listed.values() for r in ids] + [r for r, h in hints.items() if h]))
    if len(wanted) > MAX_CARDS:
        notes.append(f"{len(wanted) - MAX_CARDS} repos were not read (at most {MAX_CARDS} cards a check).")
        wanted = wanted[:MAX_CARDS]

    with tempfile.TemporaryDirectory(prefix="kit-progress-") as cache:
        def read(repo_id):
            if time.monotonic() - start > TIME_BUDGET_S:
                return None
            try:
                path = _retrying(lambda: hf_hub_download(repo_id, "README.md", endpoint=endpoint, token=token,
                                                         cache_dir=cache), base)
            except ProgressError as err:
                if _status(err.__cause__) == 404:
                    return Card()
                raise
            with open(path, encoding="utf-8", errors="replace") as fh:
                return parse_card(fh.read())

        with ThreadPoolExecutor(max_workers=8) as pool:
            cards = dict(zip(wanted, pool.map(read, wanted)))
    unread = [r for r, c in cards.items() if c is None]
    if unread:
        notes.append(f"Stopped reading after {TIME_BUDGET_S:.0f} s: {len(unread)} repos were not read "
                     "(run it again later).")

    rows, counted, explained = [], set(), set()   # repos the checker looks at; repos with a note already
    for i, a in enumerate(ASSIGNMENTS):
        scored = []
        for repo in listed[i]:
            card = cards.get(repo)
            if card is None:
                continue
            if a.by_dataset and card.dataset != a.env_id:  # the Doom query keeps only this dataset name
                continue
            counted.add(repo)
            if card.error:
                notes.append(f"{repo} ({a.label}): its card's metadata (the YAML block at the top of README.md) "
                             f"cannot be read ({card.error}); the checker skips it. Fix that block, or push the "
                             "agent again.")
                continue
            result, problem = card_result(card.metadata)
            if problem:
                notes.append(f"{repo} ({a.label}): {problem}, so it is left out of the best result. Push it again "
                             "with the kit (it writes 'mean +/- std').")
                continue
            if "model-index" not in card.metadata and 0 < a.min_result:
                explained.add(repo)
                notes.append(f"{repo} ({a.label}): its card has no model-index (the evaluation), so the checker "
                             f"scores it 0 < {a.min_result:g}. Push it again with the kit: it writes one.")
            other = [ASSIGNMENTS[j] for j in hints.get(repo, []) if ASSIGNMENTS[j].env_id != a.env_id]
            if other and a.keyword not in repo.lower().replace("-", ""):
                b, explained = other[0], explained | {repo}
                notes.append(f"{repo}: its name says {b.env_id} but it is tagged {a.env_id}, so the checker scores "
                             f"it for {a.label}, not for {b.label}. Put '{b.env_id}' in its tags instead "
                             "(README.md metadata), or push it again with the kit.")
            if repo in private:
                would = "would pass" if result >= a.min_result else "would not pass yet"
                notes.append(f"{repo} ({a.label}): private, so the certificate cannot see it (its result "
                             f"{result:.2f} {would}). Make it public in the repo's Settings.")
                continue
            scored.append((result, repo))
        best = max(scored, default=None)
        passed = best is not None and best[0] >= a.min_result
        if best is not None and not passed and best[1] not in explained:
            notes.append(f"{best[1]} ({a.label}): result {best[0]:.2f} < {a.min_result:g}, not passed yet. Train "
                         "longer or with other settings, then push again.")
        rows.append(Row(a.unit, a.env_id, a.library, a.min_result, _kit_mark(a), best[0] if best else None,
                        best[1] if best else None, passed, [r for _, r in scored]))

    # Repos the checker never lists although their name or tags say they are an assignment's agent.
    for repo, idx in hints.items():
        card = cards.get(repo)
        if repo in counted or not idx or card is None:
            continue
        if card.error:
            notes.append(f"{repo}: its card's metadata cannot be read ({card.error}); the checker skips it. Fix "
                         "the YAML block at the top of README.md, or push the agent again.")
            continue
        tags = set(card.tags) | set(getattr(next(m for m in everything if m.id == repo), "tags", None) or [])
        gaps = [f"{' and '.join(ASSIGNMENTS[i].missing(tags, card.dataset))} for {ASSIGNMENTS[i].label}"
                for i in idx]
        notes.append(f"{repo}: looks like a course agent, but the checker does not list it: it lacks "
                     f"{'; or '.join(gaps)}. Add what is missing to README.md's metadata, or push it again "
                     "with the kit.")
    return Progress(username, rows, notes, base)
