"""The exercise checks: what runs right after each TODO cell.

  exercises   the framework: run a check and print its verdict, call course-style code the kit's way
              (``adapt_call``), show a reference solution, carry accepted unit 2 functions to notebook 02
  qlearning   the unit 2 checks (notebooks 01 and 02)
  reinforce   the unit 4 checks (notebook 03) but the loop's
  reinforce_loop  the check of the REINFORCE loop: a probe game that records every gradient
"""
