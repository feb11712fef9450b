"""Time-aware analysis: near repeats (Knox test), CompStat change with a test, aoristic weights.

- :mod:`hotspots.timeaware.nearrepeat`: the Knox test of Ratcliffe's Near Repeat Calculator,
  pairs from a KD-tree, Monte Carlo permutations of the days.
- :mod:`hotspots.timeaware.compstat`: last 28 days against the 28 before, year to date against
  the same days last year, by offense and area, with the exact conditional binomial test.
- :mod:`hotspots.timeaware.aoristic`: hour x weekday weights of incidents known only to lie in a
  from/to window (Ratcliffe 2002).
"""
