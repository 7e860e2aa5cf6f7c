"""The `site` parameter as the model sees it (tools/registry.Command.for_sites), without a site."""

import unittest

from whatsapp_chatbot.tools.registry import LOCAL_SITE, SITE, Command, Result, without_site
from whatsapp_chatbot.tools.schema import Param


def make(remote: bool) -> Command:
	return Command(
		name="find_things",
		description="Find things.",
		params={"doctype": Param("string", "which")},
		handler=lambda doctype: Result(doctype),
		remote=remote,
	)


class TestSiteParameter(unittest.TestCase):
	def test_no_sites_no_parameter(self):
		command = make(remote=True)
		self.assertIs(command.for_sites([], None), command)
		self.assertNotIn(SITE, command.tool()["function"]["parameters"]["properties"])

	def test_enum_of_exactly_the_contacts_sites(self):
		command = make(remote=True).for_sites(["norte", "sur"], "norte")
		schema = command.tool()["function"]["parameters"]
		self.assertEqual(schema["properties"][SITE]["enum"], [LOCAL_SITE, "norte", "sur", None])
		self.assertEqual(schema["properties"][SITE]["description"], "where to run; null: norte")
		self.assertIn(SITE, schema["required"])  # strict mode: present, may be null
		self.assertEqual(command.check({"doctype": "Customer", SITE: "norte"})[1], [])
		self.assertEqual(
			command.check({"doctype": "Customer", SITE: "oeste"})[1],
			["arguments.site must be one of 'local', 'norte', 'sur'"],
		)
		self.assertNotIn(SITE, make(remote=True).params)  # the registered command is untouched

	def test_local_only_commands_say_so(self):
		command = make(remote=False).for_sites(["norte"], None)
		self.assertEqual(command.description, "Find things. This site only.")
		self.assertNotIn(SITE, command.params)
		self.assertEqual(
			command.check({"doctype": "Customer", SITE: "norte"})[1],
			["arguments.site is not a known parameter"],
		)

	def test_same_sites_same_bytes(self):
		first = make(remote=True).for_sites(["norte", "sur"], None).tool()
		second = make(remote=True).for_sites(["norte", "sur"], None).tool()
		self.assertEqual(repr(first), repr(second))

	def test_without_site(self):
		self.assertEqual(without_site({"doctype": "Customer", SITE: "norte"}), {"doctype": "Customer"})
