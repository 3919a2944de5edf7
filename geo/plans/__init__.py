"""Plans: a planner's what-if edits, their live result and the scenario store.

- :mod:`~geo.plans.edits`: :class:`~geo.plans.edits.Edit` and :class:`~geo.plans.edits.History` (undo / redo);
- :mod:`~geo.plans.editor`: :class:`~geo.plans.editor.Editor`, incremental zoning under edits;
- :mod:`~geo.plans.store`: :class:`~geo.plans.store.Store`, scenarios in SQLite, safe for concurrent tabs.
"""
