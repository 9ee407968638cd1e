"""Energy-Precision Ratio through the Python API against `neuralpower epr --format json`."""

import math
import unittest

import neuralpower as npw
from common import PAPER_TABLE7, POWER_MODEL, cli_error, cli_json


def table7():
    rows = PAPER_TABLE7.read_text().strip().splitlines()[1:]
    return [tuple(row.split(",")) for row in rows]


class Epr(unittest.TestCase):
    def test_the_papers_table7_equals_the_cli(self):
        result = npw.epr(
            [(name, error, float(epi)) for name, error, epi in table7()], alphas=[1, 2.5]
        )
        expected = cli_json("epr", "--from", PAPER_TABLE7, "--alpha", "1,2.5")
        self.assertEqual([s.alpha for s in result.scores], expected["alphas"])
        for i, want in enumerate(expected["candidates"]):
            self.assertEqual(result.candidates[i].name, want["name"])
            self.assertTrue(math.isclose(result.candidates[i].error, want["error"]))
            for score in result.scores:
                label = f"{score.alpha:g}"
                self.assertTrue(math.isclose(score.m[i], want["m"][label]))
                self.assertEqual(score.ranks[i], want["rank"][label])
        for alpha, best in expected["best"].items():
            self.assertEqual(result.best(float(alpha)), best)
        ranking = result.ranking(1)
        self.assertEqual([rank for rank, _, _ in ranking], [1, 2, 3])
        self.assertEqual(ranking[0][1], result.best(1))

    def test_default_alphas_and_error_forms(self):
        result = npw.epr([("a", 0.1, 10.0), ("b", "20%", 4.0), npw.EprCandidate("c", 0.5, 1.0)])
        self.assertEqual([s.alpha for s in result.scores], [1, 2, 3, 4])
        self.assertEqual([c.error for c in result.candidates], [0.1, 0.2, 0.5])
        for m, expected in zip(result.score(1).m, (1.0, 0.8, 0.5)):  # M = Error x EPI
            self.assertTrue(math.isclose(m, expected))
        self.assertEqual(result.best(1), "c")  # 0.5 x 1 is the lowest
        self.assertEqual(result.best(4), "a")  # 0.1^4 x 10 = 0.001 < 0.2^4 x 4 = 0.0064
        frame = result.to_pandas()
        self.assertEqual(list(frame.columns[:3]), ["name", "error", "epi_mj"])
        self.assertIn("m_1", frame.columns)
        self.assertIn("rank_4", frame.columns)

    def test_candidates_from_predicted_energy(self):
        model = npw.load_model(POWER_MODEL)
        vgg, nin = npw.load_network("vgg-16"), npw.load_network("nin")
        result = npw.epr([(vgg, "7.3%"), (nin, 0.202)], model=model)
        expected = cli_json("epr", "vgg-16=7.3%", "nin=20.2%", "--model", POWER_MODEL)
        for candidate, want in zip(result.candidates, expected["candidates"]):
            self.assertEqual(candidate.name, want["name"])
            self.assertTrue(math.isclose(candidate.epi_mj, want["epi_mj"]))
        self.assertTrue(
            math.isclose(result.candidates[0].epi_mj, npw.predict(vgg, model).energy_mj / vgg.batch)
        )

    def test_errors_carry_the_command_lines_message(self):
        # resnet50's add layers have no power model in the synthetic model: EPI is unknown.
        expected = cli_error("epr", "resnet50=23.9%", "--model", POWER_MODEL)
        with self.assertRaises(npw.Error) as caught:
            npw.epr([(npw.load_network("resnet50"), "23.9%")], model=npw.load_model(POWER_MODEL))
        self.assertEqual(str(caught.exception), expected)
        expected = cli_error("epr", "nin=7.3", "--model", POWER_MODEL)
        with self.assertRaises(npw.Error) as caught:
            npw.epr([("nin", "7.3", 1.0)])
        self.assertEqual(str(caught.exception), expected)
        with self.assertRaisesRegex(npw.Error, "is above 1"):
            npw.epr([("nin", 7.3, 1.0)])
        with self.assertRaisesRegex(npw.Error, "epi_mj must be a positive number"):
            npw.epr([("nin", 0.1, 0.0)])
        with self.assertRaisesRegex(npw.Error, "alpha must be a non-negative number"):
            npw.epr([("nin", 0.1, 1.0)], alphas=[-1])
        with self.assertRaises(npw.Error):
            npw.epr([])
        with self.assertRaises(TypeError):
            npw.epr([("nin",)])


if __name__ == "__main__":
    unittest.main()
