"""Contracts: the register, its terms and renewals, spend against contracts, shares, notices and the Procurement Act duties."""
