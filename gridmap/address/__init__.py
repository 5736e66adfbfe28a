"""Addresses of households: parsing and normalising Chinese addresses, and matching them to the registry.

Pure text and geometry: no files, databases or web. `parse_address` splits a text into its parts,
`AddressRegistry` indexes a standard address registry (标准地址库), `AddressMatcher` finds an address in it
at the finest level it can (door, building, compound, road) or says why it cannot.
"""

from gridmap.address.match import AddressMatcher, MatchLevel, MatchResult, Reason, match_address
from gridmap.address.normalize import normalize_address
from gridmap.address.parse import ParsedAddress, parse_address
from gridmap.address.registry import AddressRegistry, StandardAddress

__all__ = [
    "AddressMatcher",
    "AddressRegistry",
    "MatchLevel",
    "MatchResult",
    "ParsedAddress",
    "Reason",
    "StandardAddress",
    "match_address",
    "normalize_address",
    "parse_address",
]
