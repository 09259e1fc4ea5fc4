"""The resolved model: a validated Spec with every relation placed on both of its sides.

This is the seam between the spec and the output styles (SQLModel today, SQLAlchemy
later): it says which columns, foreign keys, relationship attributes and link tables
exist, with every name already decided by `naming`. It says nothing about Python syntax.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from generator import cycles, naming
from generator.spec import EntitySpec, FieldSpec, KeySpec, RelationSpec, Spec
from generator.spec.records import ConstraintSpec

EndKind = Literal["fk", "reverse", "m2m"]

LINKS_MODULE = "links"


@dataclass(frozen=True)
class EntityRef:
    class_name: str
    table: str
    module: str
    key: KeySpec = KeySpec()  # the primary key `id`: its column name and type

    @property
    def key_reference(self) -> str:
        """What a foreign key to this entity names: `"album.id"`, `"Album.AlbumId"`."""
        return f"{self.table}.{self.key.column}"


@dataclass(frozen=True)
class ForeignKey:
    """A foreign-key column stored on the owning entity's table."""

    column: str  # the attribute (`author_id`); the API speaks it
    target: EntityRef
    nullable: bool
    unique: bool
    on_delete: str | None
    relation: str  # the relation (as written in the spec) that created this column
    column_name: str | None = None  # the database column when it differs (`column:`)
    place: str = ""  # that relation's place in the spec: `entities.Store.relations.manager`
    # a key that breaks a cycle of foreign keys (cycles.py): created by ALTER TABLE once
    # both tables exist, under this name
    use_alter: bool = False
    constraint: str | None = None
    on_update: str | None = None  # the ON UPDATE rule (cascade, set_null, restrict)
    indexed: bool = True  # False (`index: false`): forge adds no index of its own

    @property
    def database_column(self) -> str:
        return self.column_name or self.column


@dataclass(frozen=True)
class LinkTable:
    class_name: str
    table: str
    left: tuple[str, EntityRef]  # (column, entity) of the declaring side
    right: tuple[str, EntityRef]  # (column, entity) of the target side
    fields: tuple[FieldSpec, ...] = ()  # extra columns (link_fields), after the two keys
    on_delete: str = "cascade"  # the rule of both key columns: cascade, restrict, no_action
    indexes: tuple[ConstraintSpec, ...] = ()  # link_indexes: (name, database columns)
    key_name: str | None = None  # link_key_name: the primary key constraint's name
    on_update: str | None = None  # link_on_update: the ON UPDATE rule of both key columns

    @property
    def module(self) -> str:
        return LINKS_MODULE


@dataclass(frozen=True)
class RelationEnd:
    """One relationship attribute on one class.

    kind "fk": the scalar side that holds the foreign key (`Post.author`).
    kind "reverse": the other side of a foreign key (`User.posts`, or a one_to_one's
    scalar inverse when `many` is false).
    kind "m2m": a collection through a link table.
    """

    name: str
    kind: EndKind
    target: EntityRef
    many: bool
    back_populates: str | None
    fk_owner: EntityRef | None = None
    fk_column: str | None = None
    on_delete: str | None = None
    self_referential: bool = False
    link: LinkTable | None = None
    link_local_column: str | None = None
    link_remote_column: str | None = None


@dataclass(frozen=True)
class TableConstraint:
    """A composite unique constraint or an index of an entity's table, resolved."""

    name: str
    columns: tuple[str, ...]  # database column names
    # (a name the spec gives, or else one naming.constraint_name derives)
    where: str  # its place in the spec


@dataclass
class Entity:
    ref: EntityRef
    spec: EntitySpec
    fields: tuple[FieldSpec, ...]
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    relations: list[RelationEnd] = field(default_factory=list)

    @property
    def class_name(self) -> str:
        return self.ref.class_name

    @property
    def table(self) -> str:
        return self.ref.table

    @property
    def module(self) -> str:
        return self.ref.module

    def column_of(self, attribute: str) -> str | None:
        """The database column of an attribute: a field's column, or the foreign-key
        column of a to-one relation (`artist` -> `artist_id`); None when the entity has no
        such field or to-one relation. The one place that maps attributes to columns."""
        for spec in self.fields:
            if spec.name == attribute:
                return spec.column or spec.name
        for end in self.relations:
            if end.name == attribute and end.kind == "fk":
                for fk in self.foreign_keys:
                    if fk.column == end.fk_column:
                        return fk.database_column
                return end.fk_column
        return None

    def _constraints(self, kind: str, option: str) -> list[TableConstraint]:
        specs = self.spec.unique if kind == "uq" else self.spec.indexes
        found: list[TableConstraint] = []
        for position, spec in enumerate(specs):
            columns = tuple(self.column_of(name) or name for name in spec.attributes)
            where = f"entities.{self.class_name}.{option}"
            where += f".{spec.name}" if spec.name else f"[{position}]"
            name = spec.name or naming.constraint_name(kind, self.table, columns)
            found.append(TableConstraint(name, columns, where))
        return found

    @property
    def unique_constraints(self) -> list[TableConstraint]:
        return self._constraints("uq", "unique")

    @property
    def indexes(self) -> list[TableConstraint]:
        return self._constraints("ix", "indexes")

    def fk_unique(self, fk: ForeignKey) -> bool:
        """Whether a one_to_one's foreign-key column gets forge's own (unnamed) UNIQUE: not
        when the spec's `unique:` has a constraint on exactly that column (its name wins)."""
        if not fk.unique:
            return False
        return all(c.columns != (fk.database_column,) for c in self.unique_constraints)

    def fk_indexed(self, fk: ForeignKey) -> bool:
        """Whether forge indexes a foreign-key column by itself: not a one_to_one's (it is
        unique), nor one the spec's `indexes` already index on exactly that column."""
        if fk.unique or not fk.indexed:
            return False
        return all(index.columns != (fk.database_column,) for index in self.indexes)

    def related_entities(self) -> list[EntityRef]:
        """Other entities this class refers to in its relationship annotations."""
        seen: dict[str, EntityRef] = {}
        for end in self.relations:
            if end.target.class_name != self.class_name:
                seen.setdefault(end.target.class_name, end.target)
        return sorted(seen.values(), key=lambda ref: ref.module)


@dataclass
class Model:
    spec: Spec
    entities: list[Entity]
    link_tables: list[LinkTable]

    def entity(self, class_name: str) -> Entity:
        for entity in self.entities:
            if entity.class_name == class_name:
                return entity
        raise KeyError(class_name)


def build_model(spec: Spec) -> Model:
    """Resolve every relation of a (validated) spec onto both of its sides."""
    refs = {
        e.name: EntityRef(e.name, e.table, naming.module_name(e.name), e.primary_key)
        for e in spec.entities
    }
    entities = {e.name: Entity(ref=refs[e.name], spec=e, fields=e.fields) for e in spec.entities}
    links: list[LinkTable] = []
    for entity_spec in spec.entities:
        source = entities[entity_spec.name]
        for relation in entity_spec.relations:
            target = entities[relation.target]
            link = _resolve(source, target, relation)
            if link is not None:
                links.append(link)
    model = Model(spec=spec, entities=[entities[e.name] for e in spec.entities], link_tables=links)
    if cycles.required_cycle(key_edges(model)) is None:  # else the spec checks refuse it
        _mark_breaking_keys(model)
    return model


def key_edges(model: Model) -> list[cycles.Edge]:
    """Every foreign key of the entities' tables as an edge between entities, in spec order
    (link tables never take part in a cycle: nothing refers to them)."""
    return [
        cycles.Edge(entity.class_name, fk.target.class_name, fk.column, fk.nullable, fk.place)
        for entity in model.entities
        for fk in entity.foreign_keys
    ]


def _mark_breaking_keys(model: Model) -> None:
    chosen = {(edge.source, edge.column) for edge in cycles.breaking(key_edges(model))}
    for entity in model.entities:
        entity.foreign_keys = [
            (
                replace(
                    fk, use_alter=True, constraint=naming.fk_constraint(entity.table, fk.column)
                )
                if (entity.class_name, fk.column) in chosen
                else fk
            )
            for fk in entity.foreign_keys
        ]


def _resolve(source: Entity, target: Entity, relation: RelationSpec) -> LinkTable | None:
    self_ref = source.class_name == target.class_name
    if relation.kind in ("many_to_one", "one_to_one"):
        column = naming.fk_column(relation.name)
        one_to_one = relation.kind == "one_to_one"
        source.foreign_keys.append(
            ForeignKey(
                column=column,
                target=target.ref,
                nullable=relation.nullable,
                unique=one_to_one,
                on_delete=relation.on_delete,
                on_update=relation.on_update,
                indexed=relation.index,
                relation=relation.name,
                column_name=relation.column,
                place=f"entities.{source.class_name}.relations.{relation.name}",
            )
        )
        source.relations.append(
            RelationEnd(
                name=relation.name,
                kind="fk",
                target=target.ref,
                many=False,
                back_populates=relation.inverse,
                fk_owner=source.ref,
                fk_column=column,
                self_referential=self_ref,
            )
        )
        if relation.inverse:
            target.relations.append(
                RelationEnd(
                    name=relation.inverse,
                    kind="reverse",
                    target=source.ref,
                    many=not one_to_one,
                    back_populates=relation.name,
                    fk_owner=source.ref,
                    fk_column=column,
                    on_delete=relation.on_delete,
                    self_referential=self_ref,
                )
            )
        return None
    if relation.kind == "one_to_many":
        column = naming.fk_column(relation.inverse or naming.snake_case(source.class_name))
        target.foreign_keys.append(
            ForeignKey(
                column=column,
                target=source.ref,
                nullable=relation.nullable,
                unique=False,
                on_delete=relation.on_delete,
                on_update=relation.on_update,
                indexed=relation.index,
                relation=relation.name,
                column_name=relation.column,
                place=f"entities.{source.class_name}.relations.{relation.name}",
            )
        )
        source.relations.append(
            RelationEnd(
                name=relation.name,
                kind="reverse",
                target=target.ref,
                many=True,
                back_populates=relation.inverse,
                fk_owner=target.ref,
                fk_column=column,
                on_delete=relation.on_delete,
                self_referential=self_ref,
            )
        )
        if relation.inverse:
            target.relations.append(
                RelationEnd(
                    name=relation.inverse,
                    kind="fk",
                    target=source.ref,
                    many=False,
                    back_populates=relation.name,
                    fk_owner=target.ref,
                    fk_column=column,
                    self_referential=self_ref,
                )
            )
        return None
    # many_to_many
    table = relation.link_table or naming.link_table(source.table, target.table)
    left_column, right_column = relation.link_columns or naming.link_columns(
        source.table, target.table, relation.name
    )
    link = LinkTable(
        class_name=f"{naming.pascal_case(table)}Link",
        table=table,
        left=(left_column, source.ref),
        right=(right_column, target.ref),
        fields=relation.link_fields,
        on_delete=relation.link_on_delete or "cascade",
        indexes=relation.link_indexes,
        key_name=relation.link_key_name,
        on_update=relation.link_on_update,
    )
    source.relations.append(
        RelationEnd(
            name=relation.name,
            kind="m2m",
            target=target.ref,
            many=True,
            back_populates=relation.inverse,
            self_referential=self_ref,
            link=link,
            link_local_column=left_column,
            link_remote_column=right_column,
        )
    )
    if relation.inverse:
        target.relations.append(
            RelationEnd(
                name=relation.inverse,
                kind="m2m",
                target=source.ref,
                many=True,
                back_populates=relation.name,
                self_referential=self_ref,
                link=link,
                link_local_column=right_column,
                link_remote_column=left_column,
            )
        )
    return link
