"""GET /api/cases/<id>/timeline/: the case's dated steps ahead (issue 12, item 4), for anyone who sees the case."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from ..api.views import A, CASE_ID, READ_ERRORS, ApiView
from ..cases.services import today
from ..models import RecoveryCase
from .predict import case_timeline


class PredictionSerializer(serializers.Serializer):
    on = serializers.DateField(help_text="The day the rule puts it on")
    label = serializers.CharField()
    action = serializers.CharField(allow_null=True, help_text="The step the sweep takes; null: a deadline the contractor owes")
    automatic = serializers.BooleanField(help_text="Taken by the deadline sweep on its day")
    overdue = serializers.BooleanField()
    stops = serializers.ListField(child=serializers.CharField(), help_text="What would stop it")
    sentence = serializers.CharField(help_text='e.g. "Intent to refer (ITR) on 2024-03-31 unless paid in full or …"')


@extend_schema(tags=["cases"], parameters=[CASE_ID])
class CaseTimelineView(ApiView):
    """Every dated step still ahead of the case, computed from the rules the deadline sweep uses, each with
    what would stop it. Assumes no payment, response, review or hold from now on."""

    serializer_class = PredictionSerializer
    queryset = RecoveryCase.objects.none()  # for the schema; the case is read through visible_case
    pagination_class = None  # a handful of steps, answered whole (and so described in the schema)

    @extend_schema(operation_id="cases_timeline_list", responses={200: PredictionSerializer(many=True), **READ_ERRORS})
    def get(self, request, pk):
        case, _ = self.visible_case(pk, part="timeline")
        self.audit(A.VIEW, case, detail="timeline")
        return Response(PredictionSerializer(case_timeline(case, today=today()), many=True).data)
