"""The contracts room: the register classified and banded, its terms, the renewal pipeline, spend
against contracts, the SME / VCSE / local shares, the register beside the notices, and the Procurement Act duties.

Decisions (each is said again next to the figure it shapes on the Contracts and Renewals pages):

- **Classification.** A contract takes the category of its CPV code where it has one (the first code's digits,
  longest matching prefix in `CPV_CATEGORIES`), else of its ProClass name (`PROCLASS_CATEGORIES`), else of the
  workspace's own classification rules, tried as for spend: supplier rules on the contract's supplier id and
  name, then the expense-type rules on the title, then the same rules on the description, then the other
  keyword rules (supplier name, department). The title goes first because it names this contract, while a
  register's description is often shared by a whole service area. A mapped category the workspace's taxonomy lacks is passed over.
  The rule that placed each contract is kept and shown. Impact and "influenceable" come from the taxonomy.
- **Contract value.** The whole-life value as published; where only the annual value is published, the annual
  value times the term in years (published start to end date inclusive, in days / 365.25, to two places,
  extension options not included); with no dates, the annual value alone; else unknown. Value bands (the
  workspace's own) are of that value; a value equal to a boundary falls in the band above, so a £100,000.00
  contract is over the plan's £100k line.
- **Extension options.** Total months, read by `parse_extension_months`: a bare number is months ('12'), units
  are read ('24 months', '2 years'), 'N x M' multiplies ('2 x 12 months') and '+' adds ('12 + 12'); a '+' list
  of small numbers without a unit is years ('1+1' = 24 months). Text that cannot be read counts as no
  options and is flagged in the register.
- **Terms.** A contract's published term runs from its start date to its end date, both days included; with
  extension options counted, to the end date plus all its options. A missing start date leaves the term open
  at the start, a missing end date open at the end (the register does not say it has ended).
- **Status** (as of a given day, on the published term): Not started, Live (start <= today <= end), Ended.
- **Matching payments to contracts.** A contract's supplier is found in the spend by supplier id (the
  payments that carry that id), else by company number (through the supplier list, whose rows give the
  company's supplier id or name), else by the supplier name key (`sp_supplier_name_key`), the first that finds
  one; analysts' merges apply. A payment is against a contract when it is to that supplier and dated within the
  contract's term. A supplier with two contracts has each payment matched to every contract whose term holds it
  (per contract), but counted once in the contracted share.
- **Contracted share** = influenceable net spend with at least one contract matched / all influenceable net
  spend. Extension options are not counted unless asked for (the CLI never counts them).
- **Live contract, for the compliance list.** A supplier-year has a live contract when any contract matched to
  the supplier has a term overlapping that financial year (1 April to 31 March). The list holds supplier-years
  whose influenceable net spend in the year is £100,000.00 or more and which have none, largest first. (The
  £100k here is influenceable spend only: grants and other non-procurement spend need no contract.)
- **Renewal pipeline.** Contracts whose end (published, or with all options when the analyst includes them)
  falls from today to today + N months, both included, so a contract ending today is in it. Intervention date
  = that end minus the lead time of the contract's value band (`LeadTimes`); a contract with no value takes the
  longest lead time. Ranked: the plan's priority (High impact and £100k or more) first, then impact, then value,
  then the soonest end.
- **SME, VCSE, local.** Each supplier's status comes from, in this order: the supplier list uploaded
  (`ingest/supplier_list.py`), the contracts register (the supplier's latest contract that gives a flag), the
  creditor type in the spend files (`CREDITOR_TYPES`: CHTY and CIC are VCSE, SOLE is an SME, WGA neither).
  The source is shown. Local = the supplier's postcode district (from the supplier list) is among the local
  districts in Settings. Shares are of influenceable net spend; "unknown" is the spend with suppliers no
  source gives a status for. For contract value, a contract's own register flag comes first, then its
  supplier's status; contract value shares are of contracts in influenceable categories, by the financial
  year the contract starts.
"""
