"""Who wrote the code that trained an agent: the learner ("yours") or the kit ("kit reference").

A function or class defined in a notebook is the learner's; one that lives in ``helpers`` is the kit's
reference. ``trained_with`` starts from the training function and follows what it really calls: the global
names its bytecode loads and the attribute chains behind them (``qlearning.epsilon_greedy_policy``,
``helpers.reinforce.Policy``), so a learner function that hands its work to the kit counts as the kit's, and
a learner class that only subclasses the kit's adds nothing of its own. The kit's batched trainer is recorded
as ``"kit trainer"``: the learner's pieces run inside the kit's loop, and the words say so.

The checks tag what they hand back (``tracked``): a trained Q-table or policy remembers who trained it
(``remember``/``recall``). The kit's trainers and evaluators do not import this module: they report to
``helpers.events``, and this module listens (``trained_by_kit``, ``note_score``), so the pass line, the push and
the card find the record without the notebook passing it around.
"""
from __future__ import annotations

import dis
import functools
import inspect
import sys
import types
import weakref

from helpers import events
from helpers.events import KIT, KIT_TRAINER, YOURS
from helpers.events import unwrap as _unwrap
from helpers.i18n import _

# The course's exercise names, and those that train an agent (a record without one of them, or a kit trainer,
# does not say who trained it): each unit registers its own (helpers/unit2.py, helpers/unit4.py).
EXERCISES: list[str] = []
TRAINING: list[str] = []
# The record's key for the learner's own call of a kit trainer (``qlearning.train(...)`` in a cell), as spelled.
CALLED = "called"


def _trainer_words(name: str) -> str:
    """How the pass line names one of the kit's trainers."""
    if name == "train_batched":
        return _("the kit's batched trainer")
    return _("the kit's {name}", name=name)

# The methods that make a policy class: a learner class that takes either from a kit class is the kit's.
_POLICY_METHODS = ("__init__", "forward")


def _in_kit(obj) -> bool:
    module = getattr(obj, "__module__", "") or ""
    return module == "helpers" or module.startswith("helpers.")


def _is_learners(obj) -> bool:
    """Defined in a notebook (or a learner's own module), not in the kit or a library."""
    if not (inspect.isfunction(obj) or inspect.isclass(obj)) or _in_kit(obj):
        return False
    name = getattr(obj, "__module__", None)
    path = getattr(sys.modules.get(name or ""), "__file__", None)
    if name in (None, "__main__") or path is None:
        return True
    return not path.startswith((sys.prefix, sys.base_prefix, sys.exec_prefix))  # not Python's or a library's


def origin(obj) -> str:
    """``"kit reference"`` if ``obj`` (a function, a class, or an instance of one) comes from ``helpers``,
    or is a learner class whose ``__init__`` or ``forward`` is the kit's (a subclass that adds nothing);
    else ``"yours"``."""
    obj = _unwrap(obj)
    if not (inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismethod(obj)):
        obj = type(obj)
    if _in_kit(obj):
        return KIT
    if inspect.isclass(obj):
        for method in _POLICY_METHODS:
            owner = next((c for c in obj.__mro__ if method in vars(c)), None)
            if owner is not None and _in_kit(owner):
                return KIT
    return YOURS


def _codes(code: types.CodeType):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _codes(const)


def _chains(code: types.CodeType):
    """Each global name the code loads, with the attribute names read right after it: ``["qlearning",
    "epsilon_greedy_policy"]`` for ``qlearning.epsilon_greedy_policy(...)``."""
    for part in _codes(code):
        chain = None
        for ins in dis.get_instructions(part):
            if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME") and isinstance(ins.argval, str):
                if chain:
                    yield chain
                chain = [ins.argval]
            elif ins.opname in ("LOAD_ATTR", "LOAD_METHOD") and chain is not None and isinstance(ins.argval, str):
                chain.append(ins.argval)
            elif ins.opname in ("PUSH_NULL", "CACHE", "EXTENDED_ARG", "NOP"):
                continue
            else:
                if chain:
                    yield chain
                chain = None
        if chain:
            yield chain


def global_names(code: types.CodeType) -> set[str]:
    """The global names ``code`` (and the functions nested in it) loads: what it calls by name."""
    return {chain[0] for chain in _chains(code)}


def _resolve(chain, namespace):
    """The objects a chain names, following attributes through modules and classes only (reading them runs
    no code of theirs)."""
    if chain[0] not in namespace:
        return []  # a builtin, or a name not defined yet
    obj = namespace[chain[0]]
    found = [obj]
    for name in chain[1:]:
        if not (inspect.ismodule(obj) or inspect.isclass(obj)):
            break
        try:
            obj = inspect.getattr_static(obj, name)
        except AttributeError:
            break
        if isinstance(obj, (staticmethod, classmethod)):
            obj = obj.__func__
        found.append(obj)
    return found


def _functions_of(obj):
    """The code-carrying functions of a learner's function or class (a class's own methods)."""
    if inspect.isfunction(obj):
        return [obj]
    if inspect.isclass(obj):
        return [v for v in vars(obj).values() if inspect.isfunction(v)]
    return []


def kit_calls(fn) -> list[tuple[str, str]]:
    """The kit's exercise references that ``fn``'s own code reaches directly, as ``(exercise, spelled)``:
    ``("epsilon_greedy_policy", "qlearning.epsilon_greedy_policy")``. Empty for code that calls only the
    learner's own functions (whatever the checks later put behind those names)."""
    fn = _unwrap(fn)
    calls = []
    for code_owner in _functions_of(fn):
        for chain in _chains(code_owner.__code__):
            resolved = _resolve(chain, code_owner.__globals__)
            for depth, obj in enumerate(resolved):
                obj = _unwrap(obj)
                name = getattr(obj, "__name__", None)
                if _in_kit(obj) and name in EXERCISES and (depth > 0 or chain[0] != name):
                    calls.append((name, ".".join(chain[:depth + 1])))
    return calls


def trained_with(*functions, **named) -> dict[str, str]:
    """Map each exercise that trained an agent to ``"yours"`` or ``"kit reference"`` (and each kit trainer
    to ``"kit trainer"``).

    ``functions`` are the training functions that ran (the learner's ``train``, or the kit's
    ``train_batched``); what they call is followed. ``named`` adds pieces passed around as values, e.g.
    ``PixelcopterPolicy=policy`` or ``discounted_returns=discounted_returns`` for the kit's batched trainer,
    or ``train=my_train`` for a learner's function checked as the exercise ``train``.
    The kit's code wins: a learner ``train`` that calls the kit's ``train`` records ``train`` as the kit's.
    """
    found: dict[str, str] = {}
    seen: set[int] = set()

    def mark(name, who):
        if found.get(name) != KIT:
            found[name] = who

    def visit(name, obj):
        obj = _unwrap(obj)
        if not (inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismethod(obj)):
            obj = type(obj)
        if name:
            mark(name, origin(obj))
        if id(obj) in seen:
            return
        seen.add(id(obj))
        if inspect.isclass(obj):
            act = inspect.getattr_static(obj, "act", None)
            if inspect.isfunction(_unwrap(act)):  # the debugging exercise: the act this policy plays with
                visit("act", act)
        for code_owner in _functions_of(obj):
            for chain in _chains(code_owner.__code__):
                for depth, reached in enumerate(_resolve(chain, code_owner.__globals__)):
                    reached = _unwrap(reached)
                    called = getattr(reached, "__name__", None)
                    if _in_kit(reached):
                        if called in EXERCISES and (inspect.isfunction(reached) or inspect.isclass(reached)):
                            visit(called, reached)
                    elif _is_learners(reached):
                        # A learner's function under another name, called by the exercise's name
                        # (`train = my_train`), is that exercise.
                        spelled = chain[depth]
                        visit(spelled if spelled in EXERCISES else called if called in EXERCISES else None, reached)

    for fn in functions:
        fn = _unwrap(fn)
        name = fn.__name__
        if _in_kit(fn) and name not in EXERCISES:
            found[name] = KIT_TRAINER  # the kit's loop; the learner's pieces come in as `named`
        else:
            visit(name, fn)
    for name, obj in named.items():
        visit(name, obj)
    return found


# ---- which exercises the learner got accepted (the checks say so) -------------------------------------------
ACCEPTED: dict[str, object] = {}


def note_check(name: str, fn, passed: bool) -> None:
    """Called by each check: the learner's ``fn`` for exercise ``name`` passed (or not)."""
    if passed:
        ACCEPTED[name] = fn
    else:
        ACCEPTED.pop(name, None)


def _join(names) -> str:
    names = list(names)
    if len(names) == 1:
        return names[0]
    return _("{names} and {last}", names=", ".join(names[:-1]), last=names[-1])


def known_trainer(record: dict[str, str] | None) -> bool:
    """The record names what trained the agent: a training exercise (``train``, ``reinforce``) or a kit
    trainer. A record without one (a table made by the checked ``initialize_q_table``, then trained by
    some other call) says nothing about who trained it."""
    return bool(record) and (any(n in record for n in TRAINING) or KIT_TRAINER in record.values())


def describe(record: dict[str, str] | None) -> str:
    """The words the pass line, ``results.json`` and the card use for ``record``:
    ``trained with your code``; ``trained with your Policy and reinforce_loss inside the kit's batched
    trainer``; ``trained with the kit's code for: train, greedy_policy`` (with the learner's accepted
    functions that therefore did not run); ``not known to be yours`` when the record has no training
    function."""
    if not record:
        return ""
    if not known_trainer(record) and "initialize_q_table" in record:
        return _("not known to be yours: nothing shows that your checked `train` trained this table")
    if not known_trainer(record):
        return _("not known to be yours: nothing shows that your checked `reinforce` trained this policy")
    yours = [n for n, who in record.items() if who == YOURS]
    kit = [n for n, who in record.items() if who == KIT]
    trainers = [_trainer_words(n) for n, who in record.items() if who == KIT_TRAINER]
    if not kit:
        if trainers:
            return _("trained with your {yours} inside {trainers}", yours=_join(yours), trainers=_join(trainers))
        return _("trained with your code")
    if trainers and yours:
        words = _("trained with the kit's code for: {kit} inside {trainers}, with your {yours}",
                  kit=", ".join(kit), trainers=_join(trainers), yours=_join(yours))
    elif trainers:
        words = _("trained with the kit's code for: {kit} inside {trainers}", kit=", ".join(kit),
                  trainers=_join(trainers))
    else:
        words = _("trained with the kit's code for: {kit}", kit=", ".join(kit))
    delegating = [n for n in kit if n in ACCEPTED and kit_calls(ACCEPTED[n])]
    unused = [n for n in kit if n in ACCEPTED and n not in delegating]
    why = []
    if len(delegating) == 1:
        why.append(_("your {name} calls the kit's code", name=delegating[0]))
    elif delegating:
        why.append(_("your {names} call the kit's code", names=_join(delegating)))
    if record.get(CALLED) and not delegating:
        why.append(_("your code called the kit's `{call}`", call=record[CALLED]))
    elif unused:
        replaced = [n for n in kit if n not in ACCEPTED]
        if replaced:
            why.append(_("your accepted {names} did not run: the kit's {replaced}, used in place of yours, "
                         "calls its own", names=_join(unused), replaced=_join(replaced)))
        else:
            why.append(_("your accepted {names} did not run", names=_join(unused)))
    return _("{words} ({reasons})", words=words, reasons="; ".join(why)) if why else words


# ---- records that travel with the trained agent --------------------------------------------------------------
_RECORDS: dict[int, tuple[weakref.ref, dict]] = {}
_SCORES: list[tuple[float, float, dict | None]] = []  # (mean, std, the agent's record then), newest last


def remember(agent, record: dict[str, str]) -> None:
    """Keep ``record`` with ``agent`` (a Q-table or a policy) for as long as the agent lives."""
    agent = _unwrap(agent)  # a policy seen through the kit's input wrapper is the policy inside
    key = id(agent)
    try:
        ref = weakref.ref(agent, lambda _, key=key: _RECORDS.pop(key, None))
    except TypeError:  # not weakly referenceable (a plain list): keep no record
        return
    _RECORDS[key] = (ref, dict(record))


def recall(agent) -> dict[str, str] | None:
    """The record kept with ``agent``, or None."""
    entry = _RECORDS.get(id(_unwrap(agent))) or _RECORDS.get(id(agent))
    if entry is None or entry[0]() is None:
        return None
    return dict(entry[1])


def trained_by_kit(agent, trainer, **pieces) -> None:
    """The kit's ``trainer`` (``qlearning.train``, ``reinforce.reinforce``) trained ``agent``: its record
    says so, whoever called it (a checked function that fell back, or a direct call in a notebook cell).
    ``pieces``: the learner's functions the kit's batched trainer ran; that record replaces any earlier one."""
    named = {}
    if trainer.__name__ != "train":  # a policy trainer: the policy it trained, under its exercise's name
        name = type(_unwrap(agent)).__name__
        named = {name if name in EXERCISES else "Policy": agent}
    if pieces:
        remember(agent, trained_with(trainer, **named, **pieces))
        return
    record = dict(recall(agent) or {})
    record.update(trained_with(trainer, **named))
    frame = sys._getframe(1)
    while frame is not None and frame.f_code is not trainer.__code__:  # the trainer's own frame
        frame = frame.f_back
    call = _learners_call(trainer, frame.f_back) if frame is not None and frame.f_back is not None else None
    if call:
        record[CALLED] = call
    remember(agent, record)


def learners_frame(frame) -> bool:
    """A frame running the learner's code: not the kit's, not Python's or a library's."""
    module = frame.f_globals.get("__name__", "") or ""
    if module == "helpers" or module.startswith("helpers."):
        return False
    return not frame.f_code.co_filename.startswith((sys.prefix, sys.base_prefix, sys.exec_prefix))


def _learners_call(trainer, frame) -> str | None:
    """How the learner's code spelled its call of the kit's ``trainer`` (``qlearning.train``), when ``frame``,
    the caller, is the learner's (a notebook cell, or a function of theirs); None when the kit called it."""
    if not learners_frame(frame):
        return None
    for chain in _chains(frame.f_code):
        for depth, obj in enumerate(_resolve(chain, frame.f_globals)):
            if _unwrap(obj) is trainer:
                return ".".join(chain[:depth + 1])
    return f"{trainer.__module__}.{trainer.__name__}"


def note_score(agent, mean: float, std: float) -> None:
    """The kit's evaluators report this: ``agent`` scored ``mean +/- std``. The record is copied now, so that the
    pass line still says who trained the agent after the agent itself is gone (a cell that keeps only the score)."""
    record = recall(agent)
    _SCORES.append((float(mean), float(std), dict(record) if record is not None else None))
    del _SCORES[:-50]


def _hear(event: str, agent, *args, **pieces) -> None:
    if event == "trained":
        trained_by_kit(agent, *args, **pieces)
    elif event == "scored":
        note_score(agent, *args)


events.LISTENERS.append(_hear)


def record_for_score(mean: float, std: float) -> dict[str, str] | None:
    """The record of the agent most recently evaluated to exactly ``mean +/- std``."""
    for m, s, record in reversed(_SCORES):
        if m == float(mean) and s == float(std):
            return dict(record) if record is not None else None
    return None


def tracked(fn, exercise: str, *, agent: str | None = None, table: str | None = None):
    """``fn`` (the learner's accepted function, or the kit's reference) wrapped so that what it trains keeps
    a record of who trained it.

    ``agent`` names the argument that is trained in place (``"policy"`` for ``reinforce``); without it the
    return value is the agent (a Q-table). ``table`` names an argument whose own record is carried over
    (``"Qtable"``: the table ``initialize_q_table`` made).
    """
    while getattr(fn, "_kit_tracked", False):  # a check cell run twice: wrap the function once
        fn = fn.__wrapped__
    target = _unwrap(fn)
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        params = []

    def argument(name, args, kwargs):
        if name in kwargs:
            return kwargs[name]
        if name in params and params.index(name) < len(args):
            return args[params.index(name)]
        return None

    @functools.wraps(fn)
    def run(*args, **kwargs):
        out = fn(*args, **kwargs)
        trained = argument(agent, args, kwargs) if agent else out
        # What trained it before (or the kit's trainer, inside fn) stays in the record: the kit's code wins.
        before = recall(trained) if agent and trained is not None else \
            recall(argument(table, args, kwargs)) if table else None
        record = dict(before or {})
        found = {}
        if agent and trained is not None:
            found.update(trained_with(Policy=trained))
        found.update(trained_with(**{exercise: target}) if exercise != "initialize_q_table"
                     else {exercise: origin(target)})
        for name, who in found.items():
            if record.get(name) != KIT:
                record[name] = who
        if trained is not None:
            remember(trained, record)
        return out

    run.__wrapped__ = fn
    run._kit_tracked = True
    return run
