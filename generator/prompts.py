"""The interactive `forge make entity`: questions in, an EntityChange out.

Every answer is checked by applying it to a candidate spec and running the spec
validator, so a prompt refuses exactly what a hand-written forge.yaml or the flags would,
with the same reason, when the answer is given (an answer is never refused later, after
the questions that follow it). Yes/no questions take `y`, `n` or Enter and then need
Enter, so the Enter of `y<Enter>` never answers the next question. Ctrl-C or Esc, at any
question, raises KeyboardInterrupt: the caller aborts and writes nothing. At the field
name question, `-NAME` removes a field or relation entered in this session. Nothing here
renders or writes.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import questionary
from prompt_toolkit.key_binding import KeyBindings

from generator import fieldtypes, naming
from generator.spec import EntityChange, Spec, problem

RELATION = "relation"
NONE = "none"
TYPE_CHOICES = (*fieldtypes.NAMES, RELATION)

KIND_SENTENCES = {
    "many_to_one": "Each {s} relates to one {t}; each {t} can have many {s} objects",
    "one_to_many": "Each {s} can have many {t} objects; each {t} relates to one {s}",
    "many_to_many": "Each {s} can have many {t} objects; each {t} can also have many {s} objects",
    "one_to_one": "Each {s} relates to exactly one {t}; each {t} relates to one {s}",
}


def guess_type(name: str) -> str:
    """A sensible default type for a field name (`published_at` -> datetime): the type
    registry's guesses, tried in their rank order."""
    rules = sorted((t.guess, t.name) for t in fieldtypes.TYPES if t.guess is not None)
    for (_, pattern), ftype in rules:
        if re.search(pattern, name):
            return ftype
    return "str"


def inverse_default(entity: str, kind: str) -> str:
    """The inverse's name: plural of the entity on the many side, singular otherwise."""
    snake = naming.snake_case(entity)
    return naming.plural(snake) if kind in ("many_to_one", "many_to_many") else snake


# What people type for a type forge spells differently (a typo is matched by closeness).
TYPE_ALIASES = {alias: t.name for t in fieldtypes.TYPES for alias in t.aliases}


def suggest_type(value: str) -> str | None:
    """The type a mistyped answer probably meant (`string` -> str, `Decimal` -> decimal)."""
    import difflib

    lowered = value.strip().lower()
    if lowered in TYPE_CHOICES:
        return lowered
    if lowered in TYPE_ALIASES and TYPE_ALIASES[lowered] in TYPE_CHOICES:
        return TYPE_ALIASES[lowered]
    close = difflib.get_close_matches(lowered, TYPE_CHOICES, n=1, cutoff=0.6)
    return close[0] if close else None


def suggest_class_name(value: str) -> str | None:
    """`order` -> `Order`, `order_line` -> `OrderLine`: a PascalCase form of a name."""
    candidate = naming.pascal_case(value.strip()) if value.strip() else ""
    return candidate if candidate and candidate != value.strip() else None


def _escape_aborts() -> KeyBindings:
    bindings = KeyBindings()

    @bindings.add("escape", eager=True)
    def _abort(event: Any) -> None:
        event.app.exit(exception=KeyboardInterrupt())

    return bindings


def confirm(message: str, default: bool) -> bool:
    """A yes/no question: y, n or Enter (the default), then Enter; Esc aborts."""
    from prompt_toolkit.key_binding import merge_key_bindings

    question = questionary.confirm(message, default=default, auto_enter=False)
    application = question.application
    application.key_bindings = merge_key_bindings(
        [application.key_bindings or KeyBindings(), _escape_aborts()]
    )
    return bool(question.unsafe_ask())


def ask_project(defaults: dict[str, Any], docker_follows_database: bool) -> dict[str, Any]:
    """The questions of `forge new` (the copier skeleton's answers), each checked when given.
    With docker_follows_database, Docker's default is yes unless the database is SQLite."""
    from generator.spec import DATABASES, ORMS

    def valid_name(value: str) -> str | bool:
        value = value.strip()
        if value.isidentifier() and value == value.lower() and not value.startswith("_"):
            return True
        return "use lowercase letters, digits and _, starting with a letter"

    keys = _escape_aborts()
    name = questionary.text(
        "Project name (a Python package name, e.g. shop):",
        default=str(defaults["project_name"]),
        validate=valid_name,
        key_bindings=keys,
    ).unsafe_ask()
    database = questionary.select(
        "Database:", choices=list(DATABASES), default=defaults["database"]
    ).unsafe_ask()
    docker = database != "sqlite" if docker_follows_database else bool(defaults["docker"])
    docker = confirm("Add docker-compose.yml, a Dockerfile and .dockerignore?", docker)
    orm = questionary.select("ORM:", choices=list(ORMS), default=defaults["orm"]).unsafe_ask()
    return {
        "project_name": str(name).strip(),
        "database": database,
        "orm": orm,
        "docker": docker,
    }


class Asker:
    """Asks the questions for one entity, against the current spec text."""

    def __init__(self, text: str, spec: Spec, say: Callable[[str], None]) -> None:
        self.text = text
        self.spec = spec
        self.say = say
        self.keys = _escape_aborts()

    # -- questionary wrappers: unsafe_ask raises KeyboardInterrupt on Ctrl-C

    def _text(self, message: str, default: str = "", validate: Any = None) -> str:
        question = questionary.text(
            message, default=default, validate=validate, key_bindings=self.keys
        )
        return str(question.unsafe_ask()).strip()

    def _choose(self, message: str, choices: list[Any], default: Any = None) -> Any:
        return questionary.select(message, choices=choices, default=default).unsafe_ask()

    def _confirm(self, message: str, default: bool) -> bool:
        return confirm(message, default)

    def _check(self, change: EntityChange) -> str | bool:
        reason = problem(self.text, change)
        return True if reason is None else reason

    def _name_check(self, name: str) -> str | bool:
        """The entity name's problem, offering the PascalCase form when that one is fine."""
        reason = self._check(EntityChange(name))
        if reason is True:
            return True
        better = suggest_class_name(name)
        if better and self._check(EntityChange(better)) is True:
            return f"{reason}; did you mean {better}?"
        return reason

    # -- the flow

    def entity_name(self) -> str:
        existing = sorted(e.name for e in self.spec.entities)

        def valid(value: str) -> str | bool:
            value = value.strip()
            if not value:
                return "a class name is required, e.g. Invoice"
            return self._name_check(value)

        question = questionary.autocomplete(
            "Class name of the entity to create or update (e.g. Invoice):",
            choices=existing,
            validate=valid,
            key_bindings=self.keys,
        )
        return str(question.unsafe_ask()).strip()

    def ask(self, name: str | None) -> EntityChange:
        if name is None:
            name = self.entity_name()
        else:
            reason = self._name_check(name)
            if reason is not True:
                from generator.errors import SpecError

                raise SpecError("", str(reason))
        existing = any(e.name == name for e in self.spec.entities)
        self.say(f"You are updating {name}." if existing else f"Creating the new entity {name}.")
        change = EntityChange(name)
        while True:
            if not self.add_property(change):
                break
        return change

    def add_property(self, change: EntityChange) -> bool:
        """Ask for one field or relation; False when the user is done."""

        def valid_name(value: str) -> str | bool:
            value = value.strip()
            if not value:
                return True
            if value.startswith("-"):
                entered = sorted({*change.fields, *change.relations})
                if value[1:] in entered:
                    return True
                listed = ", ".join(entered) or "none yet"
                return f"-NAME removes a field entered now; {value[1:]!r} is not one ({listed})"
            candidate = copy.deepcopy(change)
            candidate.fields[value] = {"type": "str"}
            return self._check(candidate)

        name = self._text(
            "New field name (press <return> to stop adding fields, -NAME to remove one):",
            validate=valid_name,
        )
        if not name:
            return False
        if name.startswith("-"):
            change.fields.pop(name[1:], None)
            change.relations.pop(name[1:], None)
            self.say(f"removed {name[1:]}")
            return True
        while True:
            ftype = self.field_type(name)
            if ftype == RELATION:
                change.relations[name] = self.relation(change, name)
                return True
            spec = self.field(change, name, ftype)
            if spec is not None:
                change.fields[name] = spec
                return True

    def field_type(self, name: str) -> str:
        guess = guess_type(name)

        def valid(value: str) -> str | bool:
            value = value.strip() or guess
            if value == "?" or value in TYPE_CHOICES:
                return True
            meant = suggest_type(value)
            hint = f"did you mean {meant}? " if meant else ""
            return f"unknown type {value!r} ({hint}enter ? to see all types)"

        while True:
            answer = self._text(f"Field type (enter ? to see all types) [{guess}]:", validate=valid)
            answer = answer or guess
            if answer != "?":
                return answer
            self.say("Types: " + ", ".join(TYPE_CHOICES))

    def field(self, change: EntityChange, name: str, ftype: str) -> dict[str, Any] | None:
        """The field's options, each checked with the ones before it when it is given;
        None (after saying why) if the whole is refused, so the caller asks again."""
        spec: dict[str, Any] = {"type": ftype}

        def check(**more: Any) -> str | bool:
            candidate = copy.deepcopy(change)
            candidate.fields[name] = {**spec, **more}
            return self._check(candidate)

        options = fieldtypes.get(ftype).options
        if "max_length" in options:
            spec["max_length"] = self._number(
                "Field length:", 255, 1, lambda n: check(max_length=n)
            )
        if "precision" in options:
            spec["precision"] = self._number(
                "Precision (total digits):", 10, 1, lambda n: check(precision=n, scale=0)
            )
            spec["scale"] = self._number(
                "Scale (digits after the point):",
                min(2, spec["precision"]),
                0,
                lambda n: check(scale=n),
            )
        if "values" in options:

            def valid_values(value: str) -> str | bool:
                values = [v.strip() for v in value.split(",") if v.strip()]
                if not values:
                    return "enter at least one value, separated by commas"
                return check(values=values)

            answer = self._text("Values (separated by commas):", validate=valid_values)
            spec["values"] = [v.strip() for v in answer.split(",") if v.strip()]
        spec["nullable"] = self._confirm(
            "Can this field be null in the database (nullable)?", False
        )
        if fieldtypes.get(ftype).indexable:
            spec["unique"] = self._confirm("Must its values be unique?", False)
            if not spec["unique"]:
                spec["index"] = self._confirm("Add an index on it?", False)
        reason = check()
        if reason is not True:
            self.say(f"{reason}: enter the field's type and options again")
            return None
        return spec

    def _number(
        self, message: str, default: int, minimum: int, check: Callable[[int], str | bool]
    ) -> int:
        def valid(value: str) -> str | bool:
            value = value.strip()
            if not value.isdigit() or int(value) < minimum:
                return f"enter a whole number >= {minimum}"
            return check(int(value))

        return int(self._text(message, default=str(default), validate=valid))

    def relation(self, change: EntityChange, name: str) -> dict[str, Any]:
        entity = change.entity
        known = sorted({e.name for e in self.spec.entities} | {entity})

        def valid_target(value: str) -> str | bool:
            if value.strip() in known:
                return True
            return f"unknown entity {value.strip()!r} (known: {', '.join(known)})"

        target = str(
            questionary.autocomplete(
                "What class should this entity be related to?",
                choices=known,
                validate=valid_target,
                key_bindings=self.keys,
            ).unsafe_ask()
        ).strip()
        kind = self._choose(
            "What type of relationship is this?",
            [
                questionary.Choice(f"{kind:<13} {sentence.format(s=entity, t=target)}", value=kind)
                for kind, sentence in KIND_SENTENCES.items()
            ],
        )
        spec: dict[str, Any] = {"kind": kind, "target": target}
        if kind in ("many_to_one", "one_to_one"):
            spec["nullable"] = self._confirm(
                f"Is the {entity}.{name} property allowed to be null (nullable)?", False
            )
        if self._confirm(
            f"Do you want to add a property to {target} to reach {entity} from it?",
            kind != "one_to_one",
        ):

            def valid_inverse(value: str) -> str | bool:
                candidate = copy.deepcopy(change)
                candidate.relations[name] = {**spec, "inverse": value.strip()}
                return self._check(candidate)

            spec["inverse"] = self._text(
                f"New property name inside {target}:",
                default=inverse_default(entity, kind),
                validate=valid_inverse,
            )
        if kind != "many_to_many":
            choices = [questionary.Choice("nothing: refuse the delete while referenced", NONE)]
            choices.append(questionary.Choice("cascade: delete the referencing rows", "cascade"))
            if spec.get("nullable"):
                choices.append(questionary.Choice("set_null: clear the reference", "set_null"))
            choices.append(questionary.Choice("restrict: refuse the delete", "restrict"))
            on_delete = self._choose("What happens when the referenced row is deleted?", choices)
            if on_delete != NONE:
                spec["on_delete"] = on_delete
        return spec
